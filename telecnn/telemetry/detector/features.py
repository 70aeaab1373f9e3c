"""From a lap to the detector's input: channels encoded, put on a uniform time grid, normalised.

The input tensor of a lap has two rows per model channel: the normalised value and a mask
(1 where the channel is present, 0 where it is missing or the lap is padded), so one model
copes with any subset of its channels. Targets are per-grid-sample masks of each event type.

Grid convention (shared by inputs, targets and the way probabilities go back to the lap): a
grid point holds the value of the latest lap sample at or before it for discrete channels
(fastf1's rule), a linear interpolation for continuous ones; a lap sample reads the grid
point at or just after its own time.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from telecnn.errors import TelecnnError
from telecnn.telemetry.events import event_masks
from telecnn.telemetry.grid import fill_gaps, grid_times, previous_index, resample
from telecnn.telemetry.schema import (
    CHANNEL_KIND,
    CHANNELS,
    DRS_OPEN_CODES,
    EVENT_TYPES,
    POINT_EVENTS,
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


def lap_times(data: pd.DataFrame) -> np.ndarray:
    """The lap's sample times in seconds, checked to be usable."""
    if "Time" not in data:
        raise TelecnnError("lap has no Time column")
    t = data["Time"]
    if pd.api.types.is_timedelta64_dtype(t):
        t = t.dt.total_seconds()
    times = np.asarray(t, dtype=np.float64)
    if times.size == 0:
        raise TelecnnError("lap has no samples")
    if not np.all(np.isfinite(times)) or np.any(np.diff(times) < 0):
        raise TelecnnError("lap times must be finite and sorted")
    return times


def grid_for(times: np.ndarray, hz: float = GRID_HZ) -> np.ndarray:
    """Uniform grid from the lap's first sample time to its last."""
    return grid_times(times[0], times[-1], hz)


def grid_index(times: np.ndarray, start: float, hz: float, length: int) -> np.ndarray:
    """For each lap sample, the grid point at or just after it (where its value is held)."""
    idx = np.ceil((times - start) * hz - 1e-6).astype(np.int64)
    return np.clip(idx, 0, length - 1)


def channel_on_grid(
    name: str, times: np.ndarray, values: np.ndarray, grid: np.ndarray
) -> np.ndarray:
    """One encoded channel on the grid (gaps bridged), resampled as :data:`CHANNEL_KIND` says."""
    kind = CHANNEL_KIND.get(name, "continuous")
    if not np.isfinite(values).all():
        values = fill_gaps(times, values, kind)
    return resample(times, values, grid, kind)


def present_channels(data: pd.DataFrame, channels: Sequence[str]) -> list[str]:
    """Which of ``channels`` the lap really has (a column with at least one finite value)."""
    out = []
    for name in channels:
        if name in data and np.isfinite(pd.to_numeric(data[name], errors="coerce")).any():
            out.append(name)
    return out


def lap_inputs(
    data: pd.DataFrame,
    norm: Normalisation,
    hz: float = GRID_HZ,
    use: Sequence[str] | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """The lap's input on the grid: ``(2C, G)`` float32 (values then masks) and the grid times.

    ``use`` limits the channels read from the lap (default: every model channel it has).
    """
    times = lap_times(data)
    grid = grid_for(times, hz)
    wanted = set(norm.channels if use is None else use)
    have = set(present_channels(data, [c for c in norm.channels if c in wanted]))
    c = len(norm.channels)
    x = np.zeros((2 * c, len(grid)), dtype=np.float32)
    for i, name in enumerate(norm.channels):
        if name not in have:
            continue
        raw = pd.to_numeric(data[name], errors="coerce").to_numpy(dtype=np.float64)
        v = channel_on_grid(name, times, encode_channel(name, raw), grid)
        x[i] = (v - norm.mean[i]) / norm.std[i]
        x[c + i] = 1.0
    return x, grid


def pad_to(x: np.ndarray, length: int) -> np.ndarray:
    """A lap's input ``(2C, G)`` padded on the right to ``length`` grid samples by holding its
    last sample. Zeros would read as "every channel missing" (all masks 0), which a model that
    learnt channel subsets may answer with its guesses from the other channels."""
    return np.pad(x, ((0, 0), (0, length - x.shape[1])), mode="edge")


def sample_labels(times: np.ndarray, events: pd.DataFrame) -> np.ndarray:
    """Per-sample 0/1 labels ``(E, n)`` of each event type (float32 :func:`event_masks`)."""
    return event_masks(events, times).astype(np.float32)


def grid_targets(
    times: np.ndarray, labels: np.ndarray, grid: np.ndarray, hz: float = GRID_HZ
) -> np.ndarray:
    """Per-sample labels ``(E, n)`` on the grid ``(E, G)``.

    Interval types carry each sample's label until the next sample (the previous-value rule,
    as for Brake and DRS). A point event marks only the grid point its sample reads (the first
    at or after it), so shifts on consecutive samples stay separate peaks.
    """
    targets = labels[:, previous_index(times, grid)]
    at = grid_index(times, grid[0], hz, len(grid))
    for k, name in enumerate(EVENT_TYPES):
        if name in POINT_EVENTS:
            targets[k] = 0.0
            targets[k, at[labels[k] > 0]] = 1.0
    return targets


def known_channels(channels: Sequence[str]) -> tuple[str, ...]:
    """Check channel names against :data:`CHANNELS` and return them in canonical order."""
    unknown = [c for c in channels if c not in CHANNELS]
    if unknown:
        raise TelecnnError(f"unknown channel(s) {', '.join(unknown)}: use {', '.join(CHANNELS)}")
    if not channels:
        raise TelecnnError("no channels given")
    return tuple(c for c in CHANNELS if c in channels)
