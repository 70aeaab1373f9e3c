"""From a lap to the detector's input: channels encoded, put on a uniform time grid, normalised.

The input tensor of a lap has two rows per model channel: the normalised value and a mask
(1 where the channel is present, 0 where it is missing or the lap is padded), so one model
copes with any subset of its channels.

The grid and its resampling convention are :mod:`telecnn.telemetry.laps.grid`'s.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from telecnn.errors import TelecnnError
from telecnn.telemetry.laps.axes import numeric_values
from telecnn.telemetry.laps.grid import lap_grid, resample_channel
from telecnn.telemetry.laps.schema import CHANNELS, DRS_OPEN_CODES, Lap

#: The reduced feeds users read (a broadcast overlay's speed, a pedal trace, a gearbox log):
#: the model trains through them as often as through all channels, and its thresholds are
#: tuned for each (:data:`~telecnn.telemetry.detector.tuning.SUBSET_TYPES`).
REDUCED_FEEDS: tuple[tuple[str, ...], ...] = (
    ("Speed",),
    ("Speed", "Throttle"),
    ("Speed", "RPM", "nGear"),
)

#: Default grid rate: faster than both real feeds (3.7 Hz car data, 7.6 Hz merged).
GRID_HZ = 10.0


def encode_channel(name: str, values: np.ndarray) -> np.ndarray:
    """A channel as the model reads it: Brake as 0/1, DRS as open 0/1, Throttle clipped."""
    v = np.asarray(values, dtype=np.float64)
    if name == "Brake":
        return (np.nan_to_num(v) > 0).astype(np.float64)
    if name == "DRS":
        codes = np.nan_to_num(v).round().astype(np.int64)
        return np.isin(codes, list(DRS_OPEN_CODES)).astype(np.float64)
    if name == "Throttle":
        return np.clip(v, 0.0, 100.0)
    return v


@dataclass(frozen=True)
class Normalisation:
    """Per-channel mean and standard deviation of the encoded channels (kept in the checkpoint)."""

    channels: tuple[str, ...]
    mean: tuple[float, ...]
    std: tuple[float, ...]

    def to_dict(self) -> dict[str, list]:
        return {"channels": list(self.channels), "mean": list(self.mean), "std": list(self.std)}

    @classmethod
    def from_dict(cls, d: dict) -> Normalisation:
        return cls(tuple(d["channels"]), tuple(map(float, d["mean"])), tuple(map(float, d["std"])))

    @classmethod
    def fit(cls, frames: Sequence[pd.DataFrame], channels: Sequence[str]) -> Normalisation:
        """Mean and standard deviation of each encoded channel over the given laps."""
        mean, std = [], []
        for name in channels:
            parts = [encode_channel(name, f[name].to_numpy()) for f in frames if name in f]
            v = np.concatenate(parts) if parts else np.zeros(1)
            v = v[np.isfinite(v)]
            mean.append(float(v.mean()) if v.size else 0.0)
            std.append(float(max(v.std(), 1e-3)) if v.size else 1.0)
        return cls(tuple(channels), tuple(mean), tuple(std))


def present_channels(
    data: pd.DataFrame | Mapping[str, np.ndarray], channels: Sequence[str]
) -> list[str]:
    """Which of ``channels`` the lap (its DataFrame or column arrays) really has: a column with
    at least one finite value."""
    return [c for c in channels if c in data and np.isfinite(numeric_values(data[c])).any()]


def lap_inputs(
    lap: Lap,
    norm: Normalisation,
    hz: float = GRID_HZ,
    use: Sequence[str] | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """The lap's input on the grid: ``(2C, G)`` float32 (values then masks) and the grid times.

    ``use`` limits the channels read from the lap (default: every model channel it has).
    """
    data, times = lap.columns, lap.times
    grid = lap_grid(times, hz)
    wanted = set(norm.channels if use is None else use)
    have = set(present_channels(data, [c for c in norm.channels if c in wanted]))
    c = len(norm.channels)
    x = np.zeros((2 * c, len(grid)), dtype=np.float32)
    for i, name in enumerate(norm.channels):
        if name not in have:
            continue
        raw = numeric_values(data[name])
        v = resample_channel(name, times, encode_channel(name, raw), grid)
        x[i] = (v - norm.mean[i]) / norm.std[i]
        x[c + i] = 1.0
    return x, grid


def known_channels(channels: Sequence[str]) -> tuple[str, ...]:
    """Check channel names against :data:`CHANNELS` and return them in canonical order."""
    unknown = [c for c in channels if c not in CHANNELS]
    if unknown:
        raise TelecnnError(f"unknown channel(s) {', '.join(unknown)}: use {', '.join(CHANNELS)}")
    if not channels:
        raise TelecnnError("no channels given")
    return tuple(c for c in CHANNELS if c in channels)
