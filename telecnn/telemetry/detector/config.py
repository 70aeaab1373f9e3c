"""What a detector training run depends on, in one reproducible config."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from telecnn.telemetry.detector.features import (
    GRID_HZ,
    REDUCED_FEEDS,
    Normalisation,
    known_channels,
)
from telecnn.telemetry.detector.model import MODEL_DEFAULTS
from telecnn.telemetry.detector.rule_inputs import rule_level_rows, speed_slope_rows
from telecnn.telemetry.events.rules import CLIP_LOOKBACK
from telecnn.telemetry.laps.schema import CHANNELS


@dataclass
class DetectorTrainConfig:
    """Everything a detector training run depends on (all of it reproducible from ``seed``)."""

    sim_laps: int = 2000
    circuits: tuple[str, ...] | None = None
    eras: tuple[str, ...] = ("2025", "2026")  # simulator eras, laps split evenly between them
    channels: tuple[str, ...] = CHANNELS
    epochs: int = 8
    batch_size: int = 32
    crop: int = 384
    lr: float = 3e-3
    weight_decay: float = 1e-4
    width: int = MODEL_DEFAULTS["width"]
    dilations: tuple[int, ...] = MODEL_DEFAULTS["dilations"]
    hz: float = GRID_HZ
    rate_range: tuple[float, float] = (3.3, 8.5)
    refeed_share: float = 0.3
    channel_dropout: bool = MODEL_DEFAULTS["channel_dropout"]
    solo_share: float = 0.25  # share of laps seen through Speed alone
    subset_share: float = 0.25  # share seen through one of the other reduced feeds
    rule_levels: bool = True  # the rules' levels as input rows (:mod:`.rule_inputs`)
    slopes: bool = True  # the speed's slopes at several scales as input rows
    val_laps: int = 144  # held-out simulated laps (at most a tenth of sim_laps, at least 8)
    real_val_every: int = 10  # every n-th real lap held out: tuned and scored on (0: none)
    seed: int = 0
    device: str = "auto"  # the notebook's rule: CUDA when present, else CPU

    def __post_init__(self) -> None:
        # one order for every index the model config holds (input rows, trend rows, feeds):
        # the canonical one the normalisation and the model's inputs use, however typed
        self.channels = known_channels(self.channels)

    def build_model_config(self, norm: Normalisation) -> dict[str, Any]:
        """The model config the checkpoint stores (the architecture's defaults, then ours);
        ``norm`` places the rules' levels in the model's normalised units."""
        # every index in the model's order of channels: the normalisation's
        channels = list(norm.channels)
        # the speed's change over the clipping rule's look-back, as an input of its own
        trend_rows = [channels.index("Speed")] if "Speed" in channels else []
        config = {
            "in_channels": len(channels),
            **MODEL_DEFAULTS,
            "width": self.width,
            "dilations": list(self.dilations),
            "channel_dropout": self.channel_dropout and len(channels) > 1,
            "solo_share": self.solo_share,
            "dropout_subsets": [
                [channels.index(c) for c in feed]
                for feed in REDUCED_FEEDS
                if len(feed) > 1 and set(feed) <= set(channels)
            ],
            "subset_share": self.subset_share,
            "trend_rows": trend_rows,
            "trend_lag": max(1, round(self.hz * CLIP_LOOKBACK)),
        }
        slopes = speed_slope_rows(norm.channels, norm.std, self.hz) if self.slopes else []
        config["slope_rows"] = [list(row) for row in slopes]
        if self.rule_levels:
            rows = rule_level_rows(
                norm.channels, norm.mean, norm.std, trend_rows, config["trend_gain"], slopes
            )
            config["level_rows"] = [list(row) for row in rows]
        return config
