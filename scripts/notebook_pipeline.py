"""The seed notebook's FashionMNIST pipeline, as the notebook runs it: the wall-clock reference
for ``bench_images.py`` (our command must beat it wall to wall, start-up and figures included).

Per-image PIL augmentation in a ``Dataset`` (rotation, then an integer shift, nearest
neighbour, black fill, as torchvision's ``RandomRotation`` and ``RandomAffine`` do), a
``DataLoader`` with default workers, float32 NCHW, the notebook's train / evaluate loop per
epoch with Adam and cosine, then its two figures (history curves, confusion matrix). The model is
the same MiniResNet or SimpleCNN (built from our core; the layers are the notebook's).

    python scripts/notebook_pipeline.py --model mini-resnet --epochs 1 --limit 20000 --out DIR
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from pathlib import Path

import numpy as np
import torch
from PIL import Image
from torch import nn
from torch.utils.data import DataLoader, Dataset

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from vision.fashion_mnist import CLASS_NAMES, load_fashion_mnist  # noqa: E402
from vision.models import create_model  # noqa: E402


class PerSampleDataset(Dataset):
    """The notebook's way: each ``__getitem__`` turns one image into PIL, rotates, shifts it."""

    def __init__(self, images: torch.Tensor, labels: torch.Tensor, augment: bool = True) -> None:
        self.images, self.labels, self.augment = images.numpy(), labels.numpy(), augment

    def __len__(self) -> int:
        return len(self.labels)

    def __getitem__(self, i: int) -> tuple[torch.Tensor, int]:
        img = Image.fromarray(self.images[i])
        if self.augment:
            img = img.rotate(random.uniform(-10, 10), resample=Image.NEAREST, fillcolor=0)
            tx, ty = (round(random.uniform(-2.8, 2.8)) for _ in range(2))
            img = img.transform(
                img.size, Image.AFFINE, (1, 0, -tx, 0, 1, -ty), resample=Image.NEAREST, fillcolor=0
            )
        x = torch.from_numpy(np.asarray(img, dtype=np.float32) / 255.0).unsqueeze(0)
        return (x - 0.5) / 0.5, int(self.labels[i])


def run(model_name: str, epochs: int, limit: int | None, out: Path | None) -> dict:
    """Train and evaluate as the notebook does; returns the history and final accuracy."""
    train, test = load_fashion_mnist(limit=limit)
    train_loader = DataLoader(PerSampleDataset(train.images, train.labels), 128, shuffle=True)
    test_loader = DataLoader(PerSampleDataset(test.images, test.labels, augment=False), 128)
    torch.manual_seed(42)
    model = create_model(model_name)
    criterion = nn.CrossEntropyLoss()
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3, weight_decay=1e-4)
    scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=epochs)
    history = []
    predictions: list[int] = []
    for epoch in range(epochs):
        started = time.perf_counter()
        model.train()
        total_loss, correct, total = 0.0, 0, 0
        for images, labels in train_loader:
            optimizer.zero_grad()
            outputs = model(images)
            loss = criterion(outputs, labels)
            loss.backward()
            optimizer.step()
            total_loss += loss.item() * images.size(0)
            correct += outputs.argmax(1).eq(labels).sum().item()
            total += images.size(0)
        model.eval()
        test_correct, predictions = 0, []
        with torch.no_grad():
            for images, labels in test_loader:
                predicted = model(images).argmax(1)
                test_correct += predicted.eq(labels).sum().item()
                predictions += predicted.tolist()
        scheduler.step()
        history.append(
            {
                "epoch": epoch + 1,
                "train_loss": total_loss / total,
                "train_acc": correct / total,
                "test_acc": test_correct / len(test),
                "seconds": time.perf_counter() - started,
            }
        )
        print(history[-1], flush=True)
    if out is not None:
        _figures(history, test.labels.numpy(), np.array(predictions), out)
    return {"history": history, "test_accuracy": history[-1]["test_acc"]}


def _figures(history: list[dict], truth: np.ndarray, predicted: np.ndarray, out: Path) -> None:
    """The notebook's two result figures: curves and the confusion matrix."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    out.mkdir(parents=True, exist_ok=True)
    fig, axes = plt.subplots(1, 2, figsize=(14, 5))
    epochs = [h["epoch"] for h in history]
    axes[0].plot(epochs, [h["train_loss"] for h in history], "b-", label="Train")
    axes[1].plot(epochs, [h["train_acc"] for h in history], "b-", label="Train")
    axes[1].plot(epochs, [h["test_acc"] for h in history], "r-", label="Test")
    fig.savefig(out / "history.png", dpi=100)
    n = len(CLASS_NAMES)
    matrix = np.zeros((n, n), dtype=int)
    np.add.at(matrix, (truth, predicted), 1)
    fig, ax = plt.subplots(figsize=(10, 8))
    ax.imshow(matrix, cmap="Blues")
    for i in range(n):
        for j in range(n):
            ax.text(j, i, str(matrix[i, j]), ha="center", va="center")
    fig.savefig(out / "confusion.png", dpi=100)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="mini-resnet")
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--limit", type=int, default=None)
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()
    result = run(args.model, args.epochs, args.limit, args.out)
    print(f"test accuracy {result['test_accuracy']:.4f}")


if __name__ == "__main__":
    main()
