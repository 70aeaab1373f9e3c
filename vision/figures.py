"""The run's figures, as in the notebook: curves, confusion, samples, feature maps, filters,
augmentation. Every figure is written atomically through :func:`telecnn.atomic.save_figure`."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import torch

from telecnn.atomic import save_figure
from vision.augment import augment_batch, prepare_batch, to_unit
from vision.evaluate import Report
from vision.fashion_mnist import CLASS_NAMES, Split

if TYPE_CHECKING:
    from vision.models import StagedClassifier
    from vision.recipes import Recipe


def _plt():  # imported lazily: matplotlib is slow to load and unneeded by training alone
    import matplotlib

    if matplotlib.get_backend().lower() not in ("agg", "pdf", "svg", "cairo"):
        matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def plot_history(history: list[dict[str, float]], path: Path, title: str = "") -> Path:
    """Train and test loss, and train and test accuracy (in %, as the terminal prints it), per
    epoch, on whole-epoch ticks."""
    from matplotlib.ticker import MaxNLocator, PercentFormatter

    plt = _plt()
    epochs = [int(h["epoch"]) for h in history]
    fig, axes = plt.subplots(1, 2, figsize=(12, 4.5))
    for ax, key, label in ((axes[0], "loss", "Loss"), (axes[1], "acc", "Accuracy")):
        for split, style in (("train", "b-o"), ("test", "r-o")):
            values = [h.get(f"{split}_{key}") for h in history]
            if all(v is not None for v in values):
                ax.plot(epochs, values, style, lw=2, ms=5, label=split.capitalize())
                if len(values) == 1:
                    ax.annotate(
                        f"{values[0]:.1%}" if key == "acc" else f"{values[0]:.3f}",
                        (epochs[0], values[0]),
                        textcoords="offset points",
                        xytext=(8, 0),
                        va="center",
                        fontsize=9,
                    )
        if len(epochs) <= 12:
            ax.set_xticks(epochs)
        else:
            ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        if epochs:
            ax.set_xlim(min(epochs) - 0.5, max(epochs) + 0.5)
        if key == "acc":
            ax.yaxis.set_major_formatter(PercentFormatter(1.0))
        ax.set_xlabel("Epoch")
        ax.set_ylabel(label)
        ax.set_title(f"Training & test {label.lower()}")
        ax.grid(True, alpha=0.3)
        ax.legend()
    fig.suptitle(title or "Training history", fontweight="bold")
    fig.tight_layout()
    return save_figure(fig, path)


def plot_confusion(result: Report, path: Path) -> Path:
    """The confusion matrix with counts, beside per-class accuracy bars."""
    from matplotlib.patches import Patch
    from matplotlib.ticker import PercentFormatter

    plt = _plt()
    matrix, names = result.confusion, result.class_names
    n = len(names)
    fig, axes = plt.subplots(1, 2, figsize=(16, 7))
    ax = axes[0]
    im = ax.imshow(matrix, cmap="Blues")
    fig.colorbar(im, ax=ax, fraction=0.046)
    for i in range(n):
        for j in range(n):
            color = "white" if matrix[i, j] > matrix.max() / 2 else "black"
            ax.text(j, i, str(matrix[i, j]), ha="center", va="center", fontsize=7, color=color)
    ax.set_xticks(range(n), names, rotation=45, ha="right", fontsize=8)
    ax.set_yticks(range(n), names, fontsize=8)
    ax.set_xlabel("Predicted")
    ax.set_ylabel("True")
    ax.set_title(f"Confusion matrix (accuracy {result.accuracy:.2%})", fontweight="bold")
    ax = axes[1]
    acc = result.per_class_accuracy
    bands = (("green", "above 90%"), ("orange", "80-90%"), ("red", "80% or less"))
    colors = [bands[0][0] if a > 0.9 else bands[1][0] if a > 0.8 else bands[2][0] for a in acc]
    bars = ax.barh(range(n), acc, color=colors, alpha=0.7, edgecolor="black")
    ax.legend(
        handles=[Patch(facecolor=c, alpha=0.7, edgecolor="black", label=t) for c, t in bands],
        loc="upper center",
        bbox_to_anchor=(0.5, -0.08),
        ncol=3,
        fontsize=8,
        frameon=False,
    )
    ax.set_yticks(range(n), names, fontsize=9)
    ax.invert_yaxis()
    ax.set_xlim(0, 1.08)
    ax.xaxis.set_major_formatter(PercentFormatter(1.0))
    ax.set_title("Per-class accuracy", fontweight="bold")
    ax.grid(True, alpha=0.3, axis="x")
    for bar, a in zip(bars, acc, strict=True):
        ax.text(a + 0.01, bar.get_y() + bar.get_height() / 2, f"{a:.1%}", va="center", fontsize=9)
    fig.tight_layout()
    return save_figure(fig, path)


def plot_samples(
    images: torch.Tensor, labels: torch.Tensor, logits: torch.Tensor, path: Path, count: int = 10
) -> Path:
    """Test images with true and predicted class and confidence; right in green, wrong in red."""
    plt = _plt()
    probs = torch.softmax(logits[:count], dim=1)
    conf, pred = probs.max(1)
    cols = 5
    rows = max(1, -(-min(count, len(images)) // cols))
    fig, axes = plt.subplots(rows, cols, figsize=(3 * cols, 3.7 * rows), squeeze=False)
    for k, ax in enumerate(axes.flat):
        ax.axis("off")
        if k >= min(count, len(images)):
            continue
        truth, guess = int(labels[k]), int(pred[k])
        ax.imshow(images[k].numpy(), cmap="gray")
        ax.set_title(
            f"True: {CLASS_NAMES[truth]}\nPred: {CLASS_NAMES[guess]} ({conf[k]:.0%})",
            fontsize=9,
            color="green" if truth == guess else "red",
            fontweight="bold",
        )
    fig.suptitle("Sample predictions (green = right, red = wrong)", fontweight="bold")
    fig.tight_layout()
    return save_figure(fig, path)


@torch.inference_mode()
def plot_feature_maps(
    model: StagedClassifier, image: torch.Tensor, path: Path, per_stage: int = 8
) -> Path:
    """The input image, then one row per conv stage: its first ``per_stage`` channels, each
    row on one colour scale with its colour bar."""
    plt = _plt()
    was_training = model.training
    model.eval()
    device = next(model.parameters()).device
    try:
        outputs = model.stage_outputs(prepare_batch(image[None]).to(device))
    finally:
        model.train(was_training)
    fig, axes = plt.subplots(
        len(outputs),
        per_stage + 2,
        figsize=(1.8 * (per_stage + 1) + 0.8, 1.9 * len(outputs)),
        squeeze=False,
        gridspec_kw={"width_ratios": [1] * (per_stage + 1) + [0.08], "wspace": 0.08},
    )
    for r, (row, (name, maps)) in enumerate(zip(axes, outputs.items(), strict=True)):
        for ax in row:
            ax.axis("off")
        if r == 0:
            row[0].imshow(image.numpy(), cmap="gray")
            row[0].set_title("input 28x28", fontsize=8)
        maps = maps[0, :per_stage].float().cpu().numpy()
        if r > 0:
            row[0].text(
                0.9, 0.5, f"{name}\n{maps.shape[1]}x{maps.shape[2]}", transform=row[0].transAxes,
                ha="right", va="center", fontsize=9, fontweight="bold",
            )  # fmt: skip
        low, high = float(maps.min()), float(maps.max())
        shown = None
        for c, ax in enumerate(row[1:-1]):
            if c < maps.shape[0]:
                shown = ax.imshow(maps[c], cmap="viridis", vmin=low, vmax=high)
                stage = f"{name} {maps.shape[1]}x{maps.shape[2]}: " if r == 0 and c == 0 else ""
                ax.set_title(f"{stage}channel {c}", fontsize=7)
        if shown is not None:
            row[-1].axis("on")
            fig.colorbar(shown, cax=row[-1], label="activation")
    fig.suptitle("Feature maps at each stage (trained weights)", fontweight="bold")
    return save_figure(fig, path)


def plot_filters(model: StagedClassifier, path: Path) -> Path:
    """The first conv layer's learned 3x3 filters."""
    plt = _plt()
    weights = model.first_conv().weight.detach().float().cpu()[:, 0]
    n = weights.shape[0]
    cols = 8
    rows = -(-n // cols)
    fig, axes = plt.subplots(
        rows,
        cols + 1,
        figsize=(1.6 * cols + 1.0, 1.7 * rows),
        squeeze=False,
        gridspec_kw={"width_ratios": [1] * cols + [0.1]},
    )
    limit = float(weights.abs().max()) or 1.0
    shown = None
    for k, ax in enumerate(axes[:, :cols].flat):
        ax.axis("off")
        if k < n:
            shown = ax.imshow(weights[k].numpy(), cmap="RdBu_r", vmin=-limit, vmax=limit)
            ax.set_title(f"filter {k}", fontsize=8)
    bar = fig.add_subplot(axes[0, cols].get_gridspec()[:, cols])
    for ax in axes[:, cols]:
        ax.remove()
    if shown is not None:
        fig.colorbar(shown, cax=bar, label="weight")
    fig.suptitle("First-layer filters (red positive, blue negative)", fontweight="bold")
    return save_figure(fig, path)


def plot_augmentation(
    split: Split, path: Path, recipe: Recipe | None = None, seed: int = 0, count: int = 8
) -> Path:
    """Originals in the first row, two augmented versions of them below."""
    plt = _plt()
    images, labels = split.images[:count], split.labels[:count]
    generator = torch.Generator().manual_seed(seed)
    kwargs = {}
    if recipe is not None:
        kwargs = {
            "max_degrees": recipe.max_degrees,
            "max_translate": recipe.max_translate,
            "flip": recipe.flip,
            "mode": recipe.interpolation,
        }
    rows = [to_unit(images)[:, 0]]
    rows += [augment_batch(images, generator, **kwargs)[:, 0] * 0.5 + 0.5 for _ in range(2)]
    fig, axes = plt.subplots(3, len(images), figsize=(2 * len(images), 6.4), squeeze=False)
    for r, (row_axes, row) in enumerate(zip(axes, rows, strict=True)):
        for k, ax in enumerate(row_axes):
            ax.imshow(np.clip(row[k].numpy(), 0, 1), cmap="gray", vmin=0, vmax=1)
            ax.set_xticks([])
            ax.set_yticks([])
            if r == 0:
                ax.set_title(CLASS_NAMES[int(labels[k])], fontsize=8)
        row_axes[0].set_ylabel("Original" if r == 0 else f"Augmented {r}", fontweight="bold")
    fig.suptitle("Data augmentation: same images, random transforms", fontweight="bold")
    fig.tight_layout()
    return save_figure(fig, path)


def save_run_figures(
    run_dir: Path,
    model: StagedClassifier,
    history: list[dict[str, float]],
    result: Report,
    test_split: Split,
    train_split: Split,
    logits: torch.Tensor,
    recipe: Recipe | None = None,
    seed: int = 0,
) -> list[Path]:
    """All six figures of a run into ``run_dir``."""
    name = type(model).__name__
    return [
        plot_history(history, run_dir / "history.png", f"{name} on FashionMNIST"),
        plot_confusion(result, run_dir / "confusion.png"),
        plot_samples(test_split.images, test_split.labels, logits, run_dir / "samples.png"),
        plot_feature_maps(model, test_split.images[0], run_dir / "feature_maps.png"),
        plot_filters(model, run_dir / "filters.png"),
        plot_augmentation(train_split, run_dir / "augmentation.png", recipe, seed),
    ]
