"""Detecting events on laps with a trained detector (the shipped default or a checkpoint).

``detect(lap)`` takes a :class:`Lap`, a fastf1 ``Telemetry`` or any telemetry DataFrame and
returns its events. ``detect_laps(laps)`` is the batched path: laps are sorted by length,
padded to a common length and run through the model one batch per forward pass.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import torch
from tqdm.auto import tqdm

from telecnn.errors import CheckpointError, TelecnnError
from telecnn.telemetry.clean import lap_distance
from telecnn.telemetry.detector.features import (
    GRID_HZ,
    Normalisation,
    grid_index,
    known_channels,
    lap_inputs,
    lap_times,
    pad_to,
    present_channels,
)
from telecnn.telemetry.detector.model import MODEL_NAME, EventCNN, build_model
from telecnn.telemetry.detector.postprocess import (
    DEFAULT_THRESHOLDS,
    probabilities_to_events,
)
from telecnn.telemetry.schema import EVENT_TYPES, Lap, supported_events
from telecnn.telemetry.sources import as_lap
from telecnn.training.checkpoint import load_checkpoint

KIND = "event-detector"
#: A lap shorter than this (seconds) is refused: too little context for the model.
MIN_LAP_SECONDS = 5.0
#: Laps are zero-padded to a multiple of this many grid samples, so a lap's result depends on
#: its own length only, never on the other laps of its batch.
PAD_TO = 128


def padded_length(length: int) -> int:
    """The grid length a lap is padded to before the forward pass."""
    return -(-length // PAD_TO) * PAD_TO


def default_model_path() -> Path:
    """The default detector shipped inside the package."""
    return Path(str(resources.files("telecnn.telemetry") / "assets" / "detector.pt"))


@dataclass
class Detector:
    """A trained event CNN with its channels, normalisation, grid rate and thresholds."""

    model: EventCNN
    norm: Normalisation
    hz: float = GRID_HZ
    thresholds: dict[str, dict[str, float]] = field(
        default_factory=lambda: dict(DEFAULT_THRESHOLDS)
    )
    device: torch.device = field(default_factory=lambda: torch.device("cpu"))
    source: str = "(in memory)"
    #: Seconds spent in the model's forward passes by the last call (for benchmarks).
    last_model_seconds: float = 0.0
    #: Threshold overrides for a channel subset, keyed by its channels joined with "," (e.g.
    #: braking from ``"Speed"`` alone, where the probabilities are less sharp).
    channel_thresholds: dict[str, dict[str, dict[str, float]]] = field(default_factory=dict)

    def thresholds_for(self, channels: Sequence[str]) -> dict[str, dict[str, float]]:
        """The thresholds used when the model reads ``channels``."""
        over = self.channel_thresholds.get(",".join(channels), {})
        return {**self.thresholds, **over} if over else self.thresholds

    @property
    def channels(self) -> tuple[str, ...]:
        return self.norm.channels

    def check_channels(self, channels: Sequence[str]) -> tuple[str, ...]:
        """Channel names checked against the taxonomy and the channels the model was trained on."""
        wanted = known_channels(channels)
        foreign = [c for c in wanted if c not in self.channels]
        if foreign:
            raise TelecnnError(
                f"the model ({self.source}) was trained on {', '.join(self.channels)} "
                f"and cannot read {', '.join(foreign)}"
            )
        return wanted

    def channels_for(self, lap: Lap, channels: Sequence[str] | None = None) -> list[str]:
        """The channels to read from ``lap``: checked against the model and the lap."""
        if channels is not None:
            wanted = self.check_channels(channels)
            absent = [c for c in wanted if c not in present_channels(lap.data, wanted)]
            if absent:
                raise TelecnnError(f"{lap.meta.label()} has no {', '.join(absent)} channel")
            return list(wanted)
        used = present_channels(lap.data, self.channels)
        if not used:
            raise TelecnnError(
                f"{lap.meta.label()} has none of the channels the model was trained on "
                f"({', '.join(self.channels)})"
            )
        return used

    def probabilities(
        self,
        laps: Sequence[Lap],
        channels: Sequence[str] | None = None,
        batch_size: int = 64,
        progress: bool = False,
    ) -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:
        """Per lap: event probabilities ``(E, n)`` at its own samples, ``(E, G)`` on the grid,
        and the grid times."""
        return self._probabilities(laps, channels, batch_size, progress)[0]

    def _probabilities(
        self,
        laps: Sequence[Lap],
        channels: Sequence[str] | None,
        batch_size: int,
        progress: bool,
    ) -> tuple[list[tuple[np.ndarray, np.ndarray, np.ndarray]], list[list[str]]]:
        """:meth:`probabilities` and the channels read from each lap."""
        inputs, used = [], []
        reading = tqdm(
            laps,
            desc="reading laps",
            unit="lap",
            file=sys.stderr,
            disable=not progress,
            leave=False,
        )
        for lap in reading:
            times = lap_times(lap.data)
            if times[-1] - times[0] < MIN_LAP_SECONDS or len(times) < 4:
                raise TelecnnError(
                    f"{lap.meta.label()} is too short for the detector: {len(times)} samples over "
                    f"{times[-1] - times[0]:.1f} s (needs at least {MIN_LAP_SECONDS:.0f} s)"
                )
            used.append(self.channels_for(lap, channels))
            x, grid = lap_inputs(lap.data, self.norm, self.hz, used[-1])
            inputs.append((x, times, grid))
        buckets = [padded_length(x.shape[1]) for x, _, _ in inputs]
        order = np.lexsort((np.arange(len(inputs)), buckets))
        out: list[Any] = [None] * len(laps)
        self.model.eval()
        self.last_model_seconds = 0.0
        bar = tqdm(
            total=len(laps),
            desc="detecting",
            unit="lap",
            file=sys.stderr,
            disable=not progress,
            leave=False,
        )
        begin = 0
        while begin < len(order):
            length = buckets[order[begin]]
            idx = [i for i in order[begin : begin + batch_size] if buckets[i] == length]
            begin += len(idx)
            batch = np.stack([pad_to(inputs[i][0], length) for i in idx])
            started = time.perf_counter()
            with torch.inference_mode():
                probs = torch.sigmoid(self.model(torch.from_numpy(batch).to(self.device)))
                probs = probs.float().cpu().numpy()
            self.last_model_seconds += time.perf_counter() - started
            for row, i in enumerate(idx):
                _, times, grid = inputs[i]
                at = grid_index(times, grid[0], self.hz, len(grid))
                out[i] = (probs[row][:, at], probs[row][:, : len(grid)], grid)
            bar.update(len(idx))
        bar.close()
        return [p for p in out if p is not None], used

    def detect_laps(
        self,
        laps: Sequence[Lap],
        channels: Sequence[str] | None = None,
        batch_size: int = 64,
        progress: bool = False,
    ) -> list[pd.DataFrame]:
        """Events of each lap (the batched path): only the types the channels read can show."""
        probs, used = self._probabilities(laps, channels, batch_size, progress)
        return [
            self.events_from(lap, p, self.thresholds_for(read), supported_events(read))
            for lap, p, read in zip(laps, probs, used, strict=True)
        ]

    def events_from(
        self,
        lap: Lap,
        probs: tuple[np.ndarray, np.ndarray, np.ndarray],
        thresholds: dict[str, dict[str, float]] | None = None,
        event_types: tuple[str, ...] = EVENT_TYPES,
    ) -> pd.DataFrame:
        """A lap's events from its :meth:`probabilities` (``thresholds``: the detector's when
        None), only of ``event_types``."""
        times = lap_times(lap.data)
        speed = lap.data["Speed"].to_numpy(dtype=float) if "Speed" in lap.data else None
        at_samples, on_grid, grid = probs
        return probabilities_to_events(
            at_samples,
            times,
            lap_distance(lap.data, times),
            speed,
            self.thresholds if thresholds is None else thresholds,
            event_types,
            grid_probs=on_grid,
            grid_times=grid,
        )

    def extra(self) -> dict[str, Any]:
        """What a checkpoint stores beside the weights."""
        return {
            "channels": list(self.channels),
            "normalisation": self.norm.to_dict(),
            "grid_hz": self.hz,
            "thresholds": self.thresholds,
            "channel_thresholds": self.channel_thresholds,
        }


def load_detector(
    path: str | os.PathLike[str] | None = None, device: str | torch.device = "cpu"
) -> Detector:
    """Load a detector checkpoint (default: the one shipped with the package)."""
    path = default_model_path() if path is None else Path(path)
    state = load_checkpoint(path, kind=KIND, map_location=device)
    extra = state.get("extra") or {}
    if state.get("model_name") != MODEL_NAME or "normalisation" not in extra:
        raise CheckpointError(f"{path} is not an {MODEL_NAME} event detector checkpoint")
    model = build_model(state["model_config"])
    try:
        model.load_state_dict(state["model_state"])
    except RuntimeError as exc:
        raise CheckpointError(f"{path}: weights do not fit the stored model config") from exc
    model.to(device).eval()
    return Detector(
        model=model,
        norm=Normalisation.from_dict(extra["normalisation"]),
        hz=float(extra.get("grid_hz", GRID_HZ)),
        thresholds={**DEFAULT_THRESHOLDS, **extra.get("thresholds", {})},
        device=torch.device(device),
        source=str(path),
        channel_thresholds=extra.get("channel_thresholds", {}),
    )


_cache: dict[str, Detector] = {}


def cached_detector(model: Detector | str | os.PathLike[str] | None) -> Detector:
    """``model`` itself, or the detector at that path (None: the shipped one), loaded once."""
    if isinstance(model, Detector):
        return model
    key = str(default_model_path() if model is None else model)
    if key not in _cache:
        _cache[key] = load_detector(key)
    return _cache[key]


def detect(
    lap: Any,
    model: Detector | str | os.PathLike[str] | None = None,
    channels: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Events of one lap with the CNN detector.

    ``lap``: a :class:`Lap`, a fastf1 ``Telemetry`` (``detect(lap.get_car_data())``) or ``Lap``,
    or any DataFrame with fastf1 columns. ``model``: a :class:`Detector`, a checkpoint path, or
    None for the shipped default. ``channels``: read only these (e.g. ``["Speed"]``).
    """
    return detect_laps([lap], model, channels)[0]


def detect_laps(
    laps: Sequence[Any],
    model: Detector | str | os.PathLike[str] | None = None,
    channels: Sequence[str] | None = None,
    batch_size: int = 64,
    progress: bool = False,
) -> list[pd.DataFrame]:
    """Events of many laps, batched (one forward pass per ``batch_size`` laps)."""
    return cached_detector(model).detect_laps(
        [as_lap(x) for x in laps], channels, batch_size, progress
    )
