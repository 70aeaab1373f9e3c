"""The event detector: a 1D temporal CNN from the shared core, one logit per event type per sample.

``stem`` (a ConvNormAct over the value+mask rows, plus each ``trend_rows`` channel's change
over the last ``trend_lag`` samples: a fixed difference kernel, so a speed that stops rising
is one input away; the speed's slopes at several scales, in g; plus one row per
``level_rows`` entry: a channel, trend or slope against a rule's level, see
:mod:`.rule_inputs`) -> dilated residual blocks (the receptive field doubles with each block)
-> a 1x1 head. With the defaults (width 32, kernel 3, dilations 1, 2, 4, 8,
16, 1) the receptive field is 133 grid samples: 13.3 s at 10 Hz.
"""

from __future__ import annotations

import inspect
from collections.abc import Sequence
from typing import Any

import torch
from torch import nn

from telecnn.core import ConvNormAct, ResidualBlock, conv, receptive_field
from telecnn.telemetry.detector.rule_inputs import StemInputs, with_rule_inputs
from telecnn.telemetry.laps.schema import EVENT_TYPES

DEFAULT_DILATIONS: tuple[int, ...] = (1, 2, 4, 8, 16, 1)


class ChannelDropout(nn.Module):
    """At train time, hide whole input channels (value and mask row) so the model learns subsets.

    Per lap: with probability ``p_all`` every channel is kept; else with probability
    ``p_solo`` only the first channel (Speed) is kept; else with probability ``p_subsets`` one
    of ``subsets`` (channel indices: the reduced feeds users read), drawn evenly; else the first
    channel and each other one with probability 0.5. A no-op in eval mode.
    """

    def __init__(
        self,
        channels: int,
        p_all: float = 0.35,
        p_solo: float = 0.3,
        subsets: Sequence[Sequence[int]] = (),
        p_subsets: float = 0.0,
    ) -> None:
        super().__init__()
        self.channels, self.p_all, self.p_solo = channels, p_all, p_solo
        self.p_subsets = p_subsets if subsets else 0.0
        masks = torch.zeros(max(1, len(subsets)), channels, dtype=torch.bool)
        for k, subset in enumerate(subsets):
            masks[k, list(subset)] = True
        self.register_buffer("subset_masks", masks, persistent=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not self.training or self.p_all >= 1.0:
            return x
        n, c = x.shape[0], self.channels
        u = torch.rand(n, 1, device=x.device)
        keep = torch.rand(n, c, device=x.device) < 0.5
        keep[:, 0] = True
        pick = torch.randint(len(self.subset_masks), (n,), device=x.device)
        reduced = u < self.p_all + self.p_solo + self.p_subsets
        keep = torch.where(reduced, self.subset_masks[pick], keep)
        solo = torch.zeros(n, c, dtype=torch.bool, device=x.device)
        solo[:, 0] = True
        keep = torch.where(u < self.p_all + self.p_solo, solo, keep)
        keep = torch.where(u < self.p_all, torch.ones_like(keep), keep)
        gate = keep.to(x.dtype).repeat(1, 2).unsqueeze(-1)  # same gate for values and masks
        return x * gate


class EventCNN(nn.Module):
    """Maps ``(N, 2C, T)`` (values then masks of C channels) to ``(N, E, T)`` event logits."""

    def __init__(
        self,
        in_channels: int,
        num_events: int = len(EVENT_TYPES),
        width: int = 32,
        dilations: Sequence[int] = DEFAULT_DILATIONS,
        kernel_size: int = 3,
        stem_kernel: int = 5,
        channel_dropout: bool = True,
        solo_share: float = 0.3,
        dropout_subsets: Sequence[Sequence[int]] = (),
        subset_share: float = 0.0,
        trend_rows: Sequence[int] = (),
        trend_lag: int = 10,
        trend_gain: float = 10.0,
        level_rows: Sequence[Sequence[float]] = (),
        slope_rows: Sequence[Sequence[float]] = (),
    ) -> None:
        super().__init__()
        self.in_channels = in_channels
        self.inputs = StemInputs.of(
            in_channels,
            {"trend_rows": trend_rows, "trend_lag": trend_lag, "trend_gain": trend_gain,
             "slope_rows": slope_rows, "level_rows": level_rows},
        )  # fmt: skip
        self.kernel_size, self.stem_kernel = kernel_size, stem_kernel
        self.dilations = tuple(dilations)
        self.drop = (
            ChannelDropout(
                in_channels, p_solo=solo_share, subsets=dropout_subsets, p_subsets=subset_share
            )
            if channel_dropout
            else nn.Identity()
        )
        self.stem = ConvNormAct(1, 2 * in_channels + self.inputs.derived, width, stem_kernel)
        self.blocks = nn.Sequential(
            *[
                ResidualBlock(
                    1, width, width, kernel_size=kernel_size, dilation=d, zero_init_last=True
                )
                for d in self.dilations
            ]
        )
        self.head = conv(1, width, num_events, 1)

    def with_rule_inputs(self, x: torch.Tensor) -> torch.Tensor:
        """``x`` with its trend, slope and level rows (what the stem reads: see
        :mod:`.rule_inputs`)."""
        return with_rule_inputs(x, self.inputs, torch)

    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        """The conv trunk: ``(N, 2C, T) -> (N, width, T)``."""
        return self.blocks(self.stem(self.with_rule_inputs(self.drop(x))))

    def forward_head(self, features: torch.Tensor) -> torch.Tensor:
        """One logit per event type per sample: ``(N, width, T) -> (N, E, T)``."""
        return self.head(features)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.forward_head(self.forward_features(x))

    @property
    def receptive_field(self) -> int:
        """Receptive field in grid samples (the trend rows look ``trend_lag`` samples back, the
        slope rows their half width each way)."""
        kernels = [self.stem_kernel] + [self.kernel_size] * (2 * len(self.dilations))
        dilations = [1] + [d for d in self.dilations for _ in range(2)]
        spec = self.inputs
        back = spec.trend_lag if spec.trend_rows else 0
        half = max((h for _, h, _ in spec.slope_rows), default=0)
        return receptive_field(kernels, dilations) + max(back, half) + half


def build_model(config: dict) -> EventCNN:
    """An :class:`EventCNN` from the ``model_config`` a checkpoint stores (keys it does not
    name keep :data:`MODEL_DEFAULTS`)."""
    return EventCNN(**{name: value for name, value in config.items() if name in _PARAMETERS})


_PARAMETERS = inspect.signature(EventCNN).parameters
#: The architecture's defaults, as :class:`EventCNN`'s signature writes them (the one place).
MODEL_DEFAULTS: dict[str, Any] = {
    name: p.default for name, p in _PARAMETERS.items() if p.default is not inspect.Parameter.empty
}
