"""Evaluating an image classifier: predictions in large batches, accuracy, confusion matrix."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from vision.augment import prepare_batch
from vision.checkpoint import load_trained
from vision.fashion_mnist import CLASS_NAMES, load_split, locate_data
from vision.recipes import recipe_of

EVAL_BATCH = 500


@torch.inference_mode()
def predict_logits(
    model: nn.Module,
    images: torch.Tensor,
    batch_size: int = EVAL_BATCH,
    channels_last: bool = False,
    flip_average: bool = False,
    autocast: torch.dtype | None = None,
) -> torch.Tensor:
    """Logits (float32, on CPU) for uint8 images ``(N, H, W)``, in eval mode, batch by batch.

    Computed in float32 unless ``autocast`` names a dtype (a training run's quick look at the
    epochs before its last): the accuracy a run reports and a later ``eval-images`` agree
    exactly. ``flip_average`` averages the logits of each image and its mirror image (for
    models trained with mirrored images).
    """
    was_training = model.training
    model.eval()
    device = next(model.parameters()).device
    memory_format = torch.channels_last if channels_last else torch.contiguous_format
    out = []
    try:
        with torch.autocast(device.type, dtype=autocast, enabled=autocast is not None):
            for start in range(0, len(images), batch_size):
                x = prepare_batch(images[start : start + batch_size].to(device))
                logits = model(x.contiguous(memory_format=memory_format)).float()
                if flip_average:
                    mirrored = x.flip(-1).contiguous(memory_format=memory_format)
                    logits = (logits + model(mirrored).float()) / 2
                out.append(logits.cpu())
    finally:
        model.train(was_training)
    return torch.cat(out) if out else torch.empty(0, 0)


def loss_and_accuracy(logits: torch.Tensor, labels: torch.Tensor) -> dict[str, float]:
    """Mean cross-entropy and accuracy, as the fit loop records them per epoch."""
    labels = labels.to(logits.device)
    return {
        "test_loss": F.cross_entropy(logits, labels).item(),
        "test_acc": (logits.argmax(1) == labels).float().mean().item(),
    }


@dataclass(frozen=True)
class Report:
    """Overall accuracy, the confusion matrix (rows true, columns predicted) and what follows."""

    accuracy: float
    confusion: np.ndarray
    class_names: tuple[str, ...]

    @property
    def per_class_accuracy(self) -> np.ndarray:
        totals = self.confusion.sum(axis=1)
        return np.divide(
            self.confusion.diagonal(), totals, out=np.zeros(len(totals)), where=totals > 0
        )

    @property
    def most_confused(self) -> tuple[str, str, int]:
        """(true class, predicted class, count) of the largest off-diagonal cell."""
        off = self.confusion.copy()
        np.fill_diagonal(off, 0)
        i, j = np.unravel_index(off.argmax(), off.shape)
        return self.class_names[i], self.class_names[j], int(off[i, j])

    def to_dict(self) -> dict[str, object]:
        true, pred, count = self.most_confused
        return {
            "accuracy": self.accuracy,
            "per_class_accuracy": dict(
                zip(self.class_names, self.per_class_accuracy.tolist(), strict=True)
            ),
            "confusion": self.confusion.tolist(),
            "most_confused": {"true": true, "predicted": pred, "count": count},
            "class_names": list(self.class_names),
        }

    def format(self) -> str:
        """A readable text report (accuracy, per-class accuracy, matrix, most confused pair)."""
        names = self.class_names
        width = max(len(n) for n in names)
        lines = [
            f"test accuracy: {self.accuracy * 100:.2f}% ({int(self.confusion.sum()):,} images)"
        ]
        lines.append("per-class accuracy:")
        lines += [
            f"  {n:<{width}}  {a * 100:6.2f}%"
            for n, a in zip(names, self.per_class_accuracy, strict=True)
        ]
        lines.append("confusion matrix (rows: true, columns: predicted):")
        lines.append(" " * (width + 2) + "".join(f"{i:>6}" for i in range(len(names))))
        for i, (n, row) in enumerate(zip(names, self.confusion, strict=True)):
            lines.append(f"{n:<{width}} {i}" + "".join(f"{v:>6}" for v in row))
        true, pred, count = self.most_confused
        lines.append(f"most confused: {true} mistaken for {pred} ({count} times)")
        return "\n".join(lines)


def confusion_matrix(labels: np.ndarray, predictions: np.ndarray, n_classes: int) -> np.ndarray:
    """Counts of (true, predicted) pairs as an ``(n_classes, n_classes)`` integer matrix."""
    flat = np.asarray(labels, dtype=np.int64) * n_classes + np.asarray(predictions, dtype=np.int64)
    return np.bincount(flat, minlength=n_classes * n_classes).reshape(n_classes, n_classes)


def report(
    labels: torch.Tensor, logits: torch.Tensor, class_names: tuple[str, ...] = CLASS_NAMES
) -> Report:
    """The evaluation report of ``logits`` against the true ``labels``."""
    preds = logits.argmax(1).numpy()
    truth = labels.cpu().numpy()
    matrix = confusion_matrix(truth, preds, len(class_names))
    accuracy = float((preds == truth).mean()) if len(truth) else 0.0
    return Report(accuracy, matrix, tuple(class_names))


def evaluate_checkpoint(
    path: str, data_dir: str | None = None, device: str = "auto", batch_size: int = EVAL_BATCH
) -> Report:
    """The test-set report of the classifier in a run directory or checkpoint file."""
    model, state = load_trained(path, device)
    test = load_split(locate_data(data_dir), "test")
    flip = recipe_of(state).flip
    return report(test.labels, predict_logits(model, test.images, batch_size, flip_average=flip))
