"""Training recipes for the image classifiers (optimizer, schedule, loss and augmentation) and
the optimizer and schedule a recipe builds."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import torch
from torch import nn


@dataclass(frozen=True)
class Recipe:
    """How to train: optimizer, schedule, loss and augmentation (model weights aside)."""

    name: str
    epochs: int
    batch_size: int
    lr: float
    weight_decay: float
    optimizer: str = "adam"  # adam | adamw
    schedule: str = "cosine"  # cosine (per epoch) | onecycle (per batch)
    label_smoothing: float = 0.0
    max_degrees: float = 10.0
    max_translate: float = 0.1
    flip: bool = False
    interpolation: str = "nearest"  # torchvision's default for rotation and affine
    model_options: dict[str, Any] = field(default_factory=dict)  # only for models that take them


RECIPES = {
    # the notebook's: Adam, cosine over the epochs, cross-entropy, batch 128, 10 epochs
    "notebook": Recipe("notebook", epochs=10, batch_size=128, lr=1e-3, weight_decay=1e-4),
    # faster and better: larger batches, one-cycle AdamW, label smoothing, lighter geometry (the
    # 77k-parameter model underfits under the notebook's), mirroring in training and at test
    # time (the logits of an image and its mirror are averaged)
    "fast": Recipe(
        "fast",
        epochs=20,
        batch_size=256,
        lr=4e-3,
        weight_decay=5e-2,
        optimizer="adamw",
        schedule="onecycle",
        label_smoothing=0.1,
        max_degrees=0.0,
        max_translate=0.08,
        flip=True,
    ),
}


def recipe_of(state: dict[str, Any]) -> Recipe:
    """The recipe a checkpoint was trained with (the notebook's for unknown names)."""
    name = ((state.get("extra") or {}).get("train_config") or {}).get("recipe", "notebook")
    return RECIPES.get(name, RECIPES["notebook"])


def build_optimizer(recipe: Recipe, model: nn.Module, lr: float) -> torch.optim.Optimizer:
    """The recipe's optimizer over ``model``'s parameters."""
    cls = {"adam": torch.optim.Adam, "adamw": torch.optim.AdamW}[recipe.optimizer]
    return cls(model.parameters(), lr=lr, weight_decay=recipe.weight_decay)


def build_scheduler(
    recipe: Recipe, optimizer: torch.optim.Optimizer, lr: float, epochs: int, steps: int
) -> tuple[Any, bool]:
    """The recipe's schedule and whether it steps per batch (else per epoch)."""
    if recipe.schedule == "onecycle":
        sched = torch.optim.lr_scheduler.OneCycleLR(
            optimizer, max_lr=lr, epochs=epochs, steps_per_epoch=steps, pct_start=0.25
        )
        return sched, True
    return torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=epochs), False
