"""All resampling of telemetry, channel by channel as :data:`CHANNEL_KIND` says, and the
uniform time grid the detector reads.

Convention (shared by the simulator's feeds, re-fed training laps, the detector's inputs and
targets, and the way probabilities go back to a lap): a continuous channel is interpolated
linearly; a discrete one holds the value of the latest sample at or before each new time (the
first sample's before it), as fastf1 does. A lap sample reads the grid point at or just after
its own time.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from telecnn.errors import TelecnnError
from telecnn.telemetry.laps.schema import CHANNEL_KIND


def grid_times(start: float, end: float, hz: float) -> np.ndarray:
    """Uniform times from ``start`` to ``end`` (inclusive when it falls on the grid) at ``hz``."""
    if hz <= 0:
        raise TelecnnError(f"grid rate must be positive, got {hz} Hz")
    n = int(np.floor((end - start) * hz + 1e-9)) + 1
    return start + np.arange(max(n, 1)) / hz


def lap_grid(times: np.ndarray, hz: float) -> np.ndarray:
    """The uniform grid from a lap's first sample time to its last."""
    return grid_times(times[0], times[-1], hz)


def grid_index(times: np.ndarray, start: float, hz: float, length: int) -> np.ndarray:
    """For each lap sample, the grid point at or just after it (where its value is held)."""
    idx = np.ceil((times - start) * hz - 1e-6).astype(np.int64)
    return np.clip(idx, 0, length - 1)


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


def resample_channel(
    name: str, times: np.ndarray, values: np.ndarray, new_times: np.ndarray
) -> np.ndarray:
    """One channel at ``new_times`` by its kind, its gaps (NaN) bridged first."""
    kind = CHANNEL_KIND.get(name, "continuous")
    if not np.isfinite(values).all():
        values = fill_gaps(times, values, kind)
    return resample(times, values, new_times, kind)


def resample_frame(data: pd.DataFrame, new_times: np.ndarray) -> pd.DataFrame:
    """A lap frame (``Time`` in seconds, sorted) at ``new_times``: every column named in
    :data:`CHANNEL_KIND` resampled by its kind, other columns dropped."""
    if "Time" not in data.columns or len(data) == 0:
        raise TelecnnError("cannot resample a lap with no Time samples")
    times = data["Time"].to_numpy(dtype=float)
    out = {"Time": new_times}
    for name in data.columns:
        kind = CHANNEL_KIND.get(name)
        if kind is not None:
            out[name] = resample(times, data[name].to_numpy(), new_times, kind)
    return pd.DataFrame(out)


def pad_to(x: np.ndarray, length: int) -> np.ndarray:
    """Rows on the grid ``(R, G)`` padded on the right to ``length`` samples by holding the last
    sample. (Zeros would read as "every channel missing" in the detector's mask rows, which a
    model that learnt channel subsets may answer with guesses from the other channels.)"""
    return np.pad(x, ((0, 0), (0, length - x.shape[1])), mode="edge")
