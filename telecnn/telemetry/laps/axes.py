"""A lap's two axes: time (s from the lap's start) and distance (m), read once per lap.

:class:`~telecnn.telemetry.laps.schema.Lap` caches both (``lap.times``, ``lap.distance``); the
functions here serve plain DataFrames too.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from telecnn.errors import TelecnnError


def lap_times(data: pd.DataFrame | Mapping[str, np.ndarray]) -> np.ndarray:
    """The lap's sample times in seconds, checked to be usable (finite, sorted, not empty);
    ``data`` is a lap's DataFrame or its columns as arrays."""
    if "Time" not in data:
        raise TelecnnError("lap has no Time column")
    t = np.asarray(data["Time"])
    if t.dtype.kind == "m":
        t = t / np.timedelta64(1, "s")
    times = np.asarray(t, dtype=np.float64)
    if times.size == 0:
        raise TelecnnError("lap has no samples")
    if not np.all(np.isfinite(times)) or np.any(np.diff(times) < 0):
        raise TelecnnError("lap times must be finite and sorted")
    return times


def numeric_values(column: pd.Series | np.ndarray) -> np.ndarray:
    """A column (Series or array) as float64, anything not a number as NaN; a plain numeric
    one without going through :func:`pandas.to_numeric` (a clean lap's are all numeric)."""
    values = column.to_numpy() if isinstance(column, pd.Series) else np.asarray(column)
    if values.dtype.kind in "biuf":
        return values.astype(np.float64, copy=False)
    numbers = pd.to_numeric(pd.Series(values), errors="coerce")
    return numbers.to_numpy(dtype=np.float64, na_value=np.nan)


def distance_from_speed(times: np.ndarray, speed_kmh: np.ndarray) -> np.ndarray:
    """Distance in metres from the first sample, integrating speed (trapezoids), like fastf1."""
    v = np.asarray(speed_kmh, dtype=float) / 3.6
    steps = np.diff(times) * (v[1:] + v[:-1]) / 2
    return np.concatenate(([0.0], np.cumsum(steps)))


def lap_distance(data: pd.DataFrame | Mapping[str, np.ndarray], times: np.ndarray) -> np.ndarray:
    """Distance along the lap (m): the ``Distance`` column, else integrated ``Speed``, else NaN."""
    if "Distance" in data:
        d = numeric_values(data["Distance"])
        if np.isfinite(d).any():
            return d
    if "Speed" in data:
        return distance_from_speed(times, np.nan_to_num(numeric_values(data["Speed"])))
    return np.full(len(times), np.nan)


def median_interval(times: np.ndarray) -> float:
    """Median sample interval of a lap in seconds (0 for a single sample)."""
    return float(np.median(np.diff(times))) if len(times) > 1 else 0.0
