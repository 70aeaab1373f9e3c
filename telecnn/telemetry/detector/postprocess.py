"""From per-sample probabilities to events in the lap's own times and distances.

Interval events: hysteresis (a run of samples with probability >= ``low`` that reaches ``high``
somewhere), then a minimum number of samples and a minimum duration. Point events (shifts):
peaks above ``height`` at least ``distance`` seconds apart (:func:`scipy.signal.find_peaks`'s rule),
found on the model's grid when given (where shifts on consecutive samples are separate peaks)
and placed on the sample each grid point holds. Every event gets a ``confidence``: the mean
probability over an interval, the peak height for a point.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd
from scipy import ndimage

from telecnn.telemetry.detector.peaks import find_peaks
from telecnn.telemetry.events import (
    SPEED_EXTRAS,
    events_frame,
    gear_columns,
    point_columns,
    run_columns,
)
from telecnn.telemetry.grid import previous_index
from telecnn.telemetry.schema import EVENT_TYPES, POINT_EVENTS

#: Default thresholds per event type (stored in, and read back from, the checkpoint).
DEFAULT_THRESHOLDS: dict[str, dict[str, float]] = {
    "braking": {"high": 0.5, "low": 0.35, "min_samples": 1, "min_duration": 0.0},
    "lift_coast": {"high": 0.5, "low": 0.35, "min_samples": 1, "min_duration": 0.5},
    "clipping": {"high": 0.5, "low": 0.35, "min_samples": 1, "min_duration": 0.5},
    "drs": {"high": 0.5, "low": 0.35, "min_samples": 1, "min_duration": 0.0},
    "upshift": {"height": 0.5, "distance": 0.15},
    "downshift": {"height": 0.5, "distance": 0.15},
    "wheelspin": {"high": 0.5, "low": 0.35, "min_samples": 1, "min_duration": 0.0},
    "lockup": {"high": 0.5, "low": 0.35, "min_samples": 1, "min_duration": 0.0},
}


def hysteresis_runs(prob: np.ndarray, high: float, low: float) -> list[tuple[int, int]]:
    """Inclusive ``(i, j)`` runs with ``prob >= low`` throughout and ``>= high`` somewhere."""
    labels, count = ndimage.label(prob >= low)
    if count == 0:
        return []
    peak = ndimage.maximum(prob, labels, index=np.arange(1, count + 1))
    runs = []
    for k, sl in enumerate(ndimage.find_objects(labels)):
        if peak[k] >= high:
            runs.append((sl[0].start, sl[0].stop - 1))
    return runs


def point_peaks(prob: np.ndarray, times: np.ndarray, height: float, distance: float) -> np.ndarray:
    """Indices of the trace's peaks >= ``height`` at least ``distance`` seconds apart
    (:func:`~telecnn.telemetry.detector.peaks.find_peaks`, as scipy's; a peak on the first or
    last point counts too)."""
    if len(prob) == 0:
        return np.zeros(0, dtype=np.int64)
    step = float(np.median(np.diff(times))) if len(times) > 1 else 1.0
    min_gap = max(1, int(np.ceil(distance / step - 1e-9))) if step > 0 else 1
    padded = np.concatenate([[-np.inf], prob, [-np.inf]])
    peaks = find_peaks(padded, height=height, distance=min_gap)
    return peaks - 1


def _gear_change_near(at: np.ndarray, gear: np.ndarray) -> np.ndarray:
    """Each shift's sample, or the next one where the gear changes only there (a shift the
    CNN places one sample early): the sample whose gear differs from the one before."""
    before = gear[np.maximum(at - 1, 0)]
    later = np.minimum(at + 1, len(gear) - 1)
    return np.where((gear[at] == before) & (gear[later] != gear[at]), later, at)


def probabilities_to_events(
    probs: np.ndarray,
    times: np.ndarray,
    distance: np.ndarray | None,
    speed: np.ndarray | None = None,
    thresholds: Mapping[str, Mapping[str, float]] | None = None,
    event_types: tuple[str, ...] = EVENT_TYPES,
    grid_probs: np.ndarray | None = None,
    grid_times: np.ndarray | None = None,
    gear: np.ndarray | None = None,
) -> pd.DataFrame:
    """Events from per-sample probabilities ``(E, n)`` of one lap, in the events schema.

    The rows of ``probs`` (and ``grid_probs``) follow :data:`EVENT_TYPES`; only the types in
    ``event_types`` are turned into events. Point events are picked on ``grid_probs``
    ``(E, G)`` at ``grid_times`` when given (each grid peak goes to the latest sample at or
    before it), else on ``probs``. With ``speed``, braking and lift_coast rows carry
    ``entry_speed`` and ``min_speed``, clipping rows ``entry_speed``, ``exit_speed`` and
    ``speed_lost`` (km/h), and with ``gear`` shifts carry ``from_gear`` and ``to_gear``, like
    the rules'.
    """
    thresholds = {**DEFAULT_THRESHOLDS, **(thresholds or {})}
    parts = []
    for name in event_types:
        k = EVENT_TYPES.index(name)
        p = probs[k]
        th = thresholds[name]
        if name in POINT_EVENTS:
            trace, at = (p, times) if grid_probs is None else (grid_probs[k], grid_times)
            peaks = point_peaks(trace, at, th["height"], th["distance"])
            conf = np.zeros(len(p))
            for i, c in zip(previous_index(times, at[peaks]), trace[peaks], strict=True):
                conf[i] = max(conf[i], c)
            part = point_columns(conf > 0, times, distance, name, conf)
            if gear is not None:
                gear_columns(part, _gear_change_near(np.flatnonzero(conf > 0), gear), gear)
            parts.append(part)
            continue
        mask = np.zeros(len(p), dtype=bool)
        for i, j in hysteresis_runs(p, th["high"], th["low"]):
            if times[j] - times[i] >= th["min_duration"]:
                mask[i : j + 1] = True
        extras = speed if name in SPEED_EXTRAS else None
        min_samples = int(th["min_samples"])
        extra_columns = SPEED_EXTRAS.get(name, ())
        parts.append(
            run_columns(
                mask, times, distance, name, min_samples, p, extras, None, 0.0, extra_columns
            )
        )
    return events_frame(*parts)
