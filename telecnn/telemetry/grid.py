"""Putting a lap on a uniform time grid, channel by channel as :data:`CHANNEL_KIND` says."""

from __future__ import annotations

import numpy as np
import pandas as pd

from telecnn.errors import TelecnnError
from telecnn.telemetry.schema import CHANNEL_KIND


def grid_times(start: float, end: float, hz: float) -> np.ndarray:
    """Uniform times from ``start`` to ``end`` (inclusive when it falls on the grid) at ``hz``."""
    if hz <= 0:
        raise TelecnnError(f"grid rate must be positive, got {hz} Hz")
    n = int(np.floor((end - start) * hz + 1e-9)) + 1
    return start + np.arange(max(n, 1)) / hz


def previous_index(times: np.ndarray, at: np.ndarray) -> np.ndarray:
    """Index of the latest sample at or before each time in ``at`` (the first sample before it):
    where a discrete channel's value is held from."""
    return np.clip(np.searchsorted(times, at, side="right") - 1, 0, len(times) - 1)


def resample(times: np.ndarray, values: np.ndarray, new_times: np.ndarray, kind: str) -> np.ndarray:
    """Resample one channel: ``continuous`` interpolates linearly, ``discrete`` holds the previous
    sample's value (the first sample's value before it)."""
    if kind == "continuous":
        return np.interp(new_times, times, values.astype(float))
    return values[previous_index(times, new_times)]


def fill_gaps(times: np.ndarray, values: np.ndarray, kind: str) -> np.ndarray:
    """A channel's NaN (or infinite) samples filled by its kind from the finite ones
    (interpolated, or the previous finite value held; before the first, that one's value)."""
    values = np.asarray(values, dtype=float)
    ok = np.isfinite(values)
    return resample(times[ok], values[ok], times, kind)


def to_grid(data: pd.DataFrame, hz: float) -> pd.DataFrame:
    """Resample a clean lap frame (``Time`` in seconds, sorted) onto a uniform grid at ``hz``.

    Columns named in :data:`CHANNEL_KIND` are resampled by their kind; others are dropped.
    The result has ``Time`` from the lap's first to last sample every ``1/hz`` seconds.
    """
    if "Time" not in data.columns or len(data) == 0:
        raise TelecnnError("cannot resample a lap with no Time samples")
    times = data["Time"].to_numpy(dtype=float)
    new_times = grid_times(times[0], times[-1], hz)
    out = {"Time": new_times}
    for name in data.columns:
        kind = CHANNEL_KIND.get(name)
        if kind is not None:
            out[name] = resample(times, data[name].to_numpy(), new_times, kind)
    return pd.DataFrame(out)
