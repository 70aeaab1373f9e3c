"""The notebook's image classifiers, assembled from the shared core with ``dim=2``.

Both models split into ``forward_features`` (the conv trunk, a list of ``stages``) and
``forward_head`` (pooling/flatten and classifier), so a figure can show each stage's feature
maps without hooks. ``MODELS`` maps the CLI's ``--model`` names to the classes.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from telecnn.core import ConvNormAct, ResidualBlock, activation, conv, global_avg_pool, pool
from telecnn.errors import TelecnnError

DIM = 2  # images: two spatial dimensions


class StagedClassifier(nn.Module):
    """A trunk of named stages followed by a head; subclasses fill ``stages`` and ``head``."""

    stages: nn.Sequential
    head: nn.Sequential

    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        return self.stages(x)

    def forward_head(self, features: torch.Tensor) -> torch.Tensor:
        return self.head(features)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.forward_head(self.forward_features(x))

    def stage_outputs(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        """Every stage's output for ``x``, in order (for feature-map figures)."""
        outputs = {}
        for name, stage in self.stages.named_children():
            x = stage(x)
            outputs[name] = x
        return outputs

    def first_conv(self) -> nn.Conv2d:
        """The first convolution, whose weights are the learned input filters."""
        return next(m for m in self.modules() if isinstance(m, nn.Conv2d))


class SimpleCNN(StagedClassifier):
    """Two conv/ReLU/max-pool stages (16 and 32 filters), then FC 1568 -> 128 -> classes.

    28x28 -> 14x14 -> 7x7; 206,922 parameters for one input channel and ten classes.
    """

    def __init__(self, num_classes: int = 10, in_channels: int = 1) -> None:
        super().__init__()
        self.stages = nn.Sequential()
        self.stages.add_module("block1", _conv_relu_pool(in_channels, 16))
        self.stages.add_module("block2", _conv_relu_pool(16, 32))
        self.head = nn.Sequential(
            nn.Flatten(),
            nn.Linear(32 * 7 * 7, 128),
            activation("relu"),
            nn.Linear(128, num_classes),
        )


class MiniResNet(StagedClassifier):
    """Stem conv, three residual blocks (16, 32/2, 64/2), global average pool, FC 64 -> classes.

    28x28 -> 28x28 -> 14x14 -> 7x7; 77,754 parameters for one input channel and ten classes.
    ``zero_init_last`` starts each block as the identity (same parameters, a training aid).
    """

    def __init__(
        self, num_classes: int = 10, in_channels: int = 1, zero_init_last: bool = False
    ) -> None:
        super().__init__()
        widths = [(16, 16, 1), (16, 32, 2), (32, 64, 2)]
        self.stages = nn.Sequential()
        self.stages.add_module("stem", ConvNormAct(DIM, in_channels, 16, kernel_size=3))
        for i, (cin, cout, stride) in enumerate(widths, start=1):
            block = ResidualBlock(DIM, cin, cout, stride=stride, zero_init_last=zero_init_last)
            self.stages.add_module(f"layer{i}", block)
        self.head = nn.Sequential(global_avg_pool(DIM), nn.Flatten(), nn.Linear(64, num_classes))


def _conv_relu_pool(cin: int, cout: int) -> nn.Sequential:
    """The SimpleCNN stage: 3x3 conv (same padding, with bias), ReLU, 2x2 max pool."""
    return nn.Sequential(conv(DIM, cin, cout, 3), activation("relu"), pool(DIM, "max", 2))


MODELS: dict[str, type[StagedClassifier]] = {
    "simple-cnn": SimpleCNN,
    "mini-resnet": MiniResNet,
}


def create_model(name: str, **config: Any) -> StagedClassifier:
    """Build the model registered as ``name`` with ``config`` (e.g. ``num_classes=10``)."""
    if name not in MODELS:
        raise TelecnnError(f"unknown model {name!r}: use one of {', '.join(MODELS)}")
    try:
        return MODELS[name](**config)
    except TypeError as exc:
        raise TelecnnError(f"bad configuration for {name}: {exc}") from exc
