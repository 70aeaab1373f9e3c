"""From per-sample probabilities to events in the lap's own times and distances.

Interval events: hysteresis (a run of samples with probability >= ``low`` that reaches ``high``
somewhere), then a minimum number of samples and a minimum duration. Point events (shifts):
peaks above ``height`` at least ``distance`` seconds apart (:func:`scipy.signal.find_peaks`'s rule),
found on the model's grid when given (where shifts on consecutive samples are separate peaks)
and placed on the sample each grid point holds. Every event gets a ``confidence``: the mean
probability over an interval, the peak height for a point. A sample is lift-and-coast only
where that is likelier than braking (the rules never have both: a lift ends at the brake).
Where the channels read check a type's whole rule condition (``Brake`` for braking; ``Throttle``,
``Brake`` and ``Speed`` for lift-and-coast and clipping; ``DRS``), an event's edges are the
condition's: the model says which runs are events, the channels where they begin and end, so
seconds of braking, lifting and clipping are the raw channels' own. With part of it (no
``Brake``), an event is the model's run less the samples where the rest fails: each edge the
later (at the start; the earlier at the end) of the model's and the condition's.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from telecnn.telemetry.detector.peaks import find_peaks
from telecnn.telemetry.events.matching import POINT_TOLERANCE
from telecnn.telemetry.events.rules import event_conditions
from telecnn.telemetry.events.table import (
    SPEED_EXTRAS,
    gear_columns,
    moving_mask,
    point_columns,
    run_bounds,
    run_columns,
    run_max,
    runs_mask,
    segment_starts,
    split_events,
)
from telecnn.telemetry.laps.end_to_end import end_to_end
from telecnn.telemetry.laps.grid import previous_index
from telecnn.telemetry.laps.schema import EVENT_TYPES, POINT_EVENTS

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
    starts, ends = _hysteresis(np.asarray(prob, dtype=float), high, low, None)
    return list(zip(starts.tolist(), ends.tolist(), strict=True))


def _hysteresis(
    prob: np.ndarray, high: float, low: float, segments: np.ndarray | None
) -> tuple[np.ndarray, np.ndarray]:
    """Starts and ends of :func:`hysteresis_runs`' runs (none crosses a ``segments`` change)."""
    starts, ends = run_bounds(prob >= low, 1, segments)
    if not len(starts):
        return starts, ends
    keep = run_max(prob, starts, ends) >= high
    return starts[keep], ends[keep]


def point_peaks(prob: np.ndarray, times: np.ndarray, height: float, distance: float) -> np.ndarray:
    """Indices of the trace's peaks >= ``height`` at least ``distance`` seconds apart
    (:func:`~telecnn.telemetry.detector.peaks.find_peaks`, as scipy's; a peak on the first or
    last point counts too)."""
    if len(prob) == 0:
        return np.zeros(0, dtype=np.int64)
    padded = np.concatenate([[-np.inf], prob, [-np.inf]])
    return find_peaks(padded, height=height, distance=_min_gap(times, distance)) - 1


def _min_gap(times: np.ndarray, distance: float) -> int:
    """``distance`` seconds in samples of a trace at ``times`` (at least 1)."""
    step = float(np.median(np.diff(times))) if len(times) > 1 else 1.0
    return max(1, int(np.ceil(distance / step - 1e-9))) if step > 0 else 1


@dataclass(frozen=True)
class LapTraces:
    """What post-processing reads of one lap: probabilities ``(E, n)`` at its samples, its
    times, distances, speed and gear (None where absent), and the probabilities ``(E, G)`` on
    the model's grid with the grid times (None: point events are picked at the samples)."""

    probs: np.ndarray
    times: np.ndarray
    distance: np.ndarray | None = None
    speed: np.ndarray | None = None
    gear: np.ndarray | None = None
    grid_probs: np.ndarray | None = None
    grid_times: np.ndarray | None = None
    #: Which samples are measurements (:func:`~telecnn.telemetry.events.table.measured_samples`):
    #: where zones' entry speeds are read. None: every sample.
    measured: np.ndarray | None = None
    #: The channels read that check the rules' sample conditions (``Brake``, ``DRS``,
    #: ``Throttle``, ``Speed``: :data:`EDGE_CHANNELS`), whose conditions give the events'
    #: edges (:func:`~telecnn.telemetry.events.rules.event_conditions`). None: the model's own.
    edge_channels: Mapping[str, np.ndarray] | None = None


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
    measured: np.ndarray | None = None,
) -> pd.DataFrame:
    """Events from per-sample probabilities ``(E, n)`` of one lap, in the events schema.

    The rows of ``probs`` (and ``grid_probs``) follow :data:`EVENT_TYPES`; only the types in
    ``event_types`` are turned into events. Point events are picked on ``grid_probs``
    ``(E, G)`` at ``grid_times`` when given (each grid peak goes to the latest sample at or
    before it), else on ``probs``. With ``speed``, braking and lift_coast rows carry
    ``entry_speed`` and ``min_speed``, clipping rows ``entry_speed``, ``exit_speed`` and
    ``speed_lost`` (km/h), and with ``gear`` shifts carry ``from_gear`` and ``to_gear``, like
    the rules'; ``measured`` (:func:`~telecnn.telemetry.events.table.measured_samples`) says
    where entry speeds are read. (No standstill rule here: see :func:`laps_to_events`.)
    """
    lap = LapTraces(probs, times, distance, speed, gear, grid_probs, grid_times, measured)
    return split_events(_event_parts([lap], thresholds, event_types, standstill=False), 1)[0]


def laps_to_events(
    laps: Sequence[LapTraces],
    thresholds: Mapping[str, Mapping[str, float]] | None = None,
    event_types: tuple[str, ...] = EVENT_TYPES,
) -> list[pd.DataFrame]:
    """:func:`probabilities_to_events` of every lap, then the standstill rule
    (:func:`~telecnn.telemetry.events.table.moving_mask`), in one pass: the laps (which all have
    the same channels: speed, gear and distance present in all or none) lie end to end, and
    each gets the table it would have alone."""
    return split_events(_event_parts(laps, thresholds, event_types, standstill=True), len(laps))


def _event_parts(
    laps: Sequence[LapTraces],
    thresholds: Mapping[str, Mapping[str, float]] | None,
    event_types: tuple[str, ...],
    standstill: bool,
) -> list[dict[str, np.ndarray]]:
    """The event parts (one per type, with segments) of laps laid end to end."""
    thresholds = {**DEFAULT_THRESHOLDS, **(thresholds or {})}
    joined = end_to_end([_arrays(lap) for lap in laps], _names(laps[0]))
    cols, seg, bounds = joined.columns, joined.segments, joined.bounds
    probs, times = np.ascontiguousarray(cols["probs"].T), cols["times"]
    distance, speed, gear = cols.get("distance"), cols.get("speed"), cols.get("gear")
    measured = cols.get("measured")
    # the one standstill rule: events cover the moving car only (no rule when asked not to)
    moving = moving_mask({"Speed": speed}) if standstill and speed is not None else None
    edges = {name[5:]: values for name, values in cols.items() if name.startswith("edge:")}
    conditions = event_conditions({"Time": times, **edges}, seg, event_types) if edges else {}
    parts = []
    for name in event_types:
        k = EVENT_TYPES.index(name)
        p = probs[k]
        th = thresholds[name]
        if moving is not None:
            p = np.where(moving, p, 0.0)
        if name == "lift_coast":  # a lift ends where the brake comes on: never both at once
            p = np.where(probs[EVENT_TYPES.index("braking")] >= p, 0.0, p)
        if name in POINT_EVENTS:
            conf = _peak_confidence(laps, k, bounds, th["height"], th["distance"])
            conf = conf if moving is None else np.where(moving, conf, 0.0)
            change = None
            if gear is not None:  # a shift is a gear change: read its gears there, or drop it
                at = np.flatnonzero(conf > 0)
                change = gear_change_near(at, gear, times, seg, up=name == "upshift")
                # one shift a change: the surest of those that find the same one
                best = np.lexsort((-conf[at], change))
                first = np.ones(len(at), dtype=bool)
                first[best[1:]] = change[best[1:]] != change[best[:-1]]
                conf[at[(change < 0) | ~first]] = 0.0
                change = change[(change >= 0) & first]
            part = point_columns(conf > 0, times, distance, name, conf, seg)
            if change is not None:
                gear_columns(part, change, gear, seg)
            parts.append(part)
            continue
        starts, ends = _hysteresis(p, th["high"], th["low"], seg)
        if name in conditions:  # the channels read check the rule's condition: its edges
            mask = conditions[name].mask if moving is None else conditions[name].mask & moving
            starts, ends = on_condition(starts, ends, mask, seg, conditions[name].whole)
        mask = runs_mask(starts, ends, len(p))  # runs apart: run_columns finds them again
        parts.append(
            run_columns(
                mask,
                times,
                distance,
                name,
                int(th["min_samples"]),
                p,
                speed if name in SPEED_EXTRAS else None,
                seg,
                th["min_duration"],
                SPEED_EXTRAS.get(name, ()),
                measured,
            )
        )
    return parts


#: The channels whose rule conditions give events their edges, where read.
EDGE_CHANNELS = ("Brake", "DRS", "Throttle", "Speed")


def edge_types(read: Sequence[str]) -> tuple[str, ...]:
    """The interval types whose edges the channels ``read`` give wholly (their rule's whole
    condition: :func:`on_condition`)."""
    cols = {name: np.zeros(1) for name in ("Time", *read)}
    return tuple(name for name, condition in event_conditions(cols).items() if condition.whole)


def on_condition(
    starts: np.ndarray,
    ends: np.ndarray,
    condition: np.ndarray,
    segments: np.ndarray | None,
    whole: bool,
) -> tuple[np.ndarray, np.ndarray]:
    """The model's runs ``starts..ends`` put on the samples where the type's rule condition
    holds (:func:`~telecnn.telemetry.events.rules.event_conditions`): with the ``whole``
    condition, every run of it a model run touches, edge to edge (the model says which runs are
    events, the channels where each begins and ends, to the sample); with part of it (a channel
    missing), the model's runs less the samples where it fails."""
    found = runs_mask(starts, ends, len(condition))
    if not whole:
        return run_bounds(found & condition, 1, segments)
    cs, ce = run_bounds(condition, 1, segments)
    touched = np.concatenate(([0], np.cumsum(found)))
    hit = touched[ce + 1] > touched[cs]
    return cs[hit], ce[hit]


def _names(lap: LapTraces) -> list[str]:
    return [name for name, values in _arrays(lap).items() if values is not None]


def _arrays(lap: LapTraces) -> dict[str, np.ndarray | None]:
    """A lap's per-sample arrays, probabilities as ``(n, E)`` rows to lie end to end."""
    return {
        "probs": lap.probs.T,
        "times": np.asarray(lap.times, dtype=float),
        "distance": lap.distance,
        "speed": None if lap.speed is None else np.asarray(lap.speed, dtype=float),
        "gear": None if lap.gear is None else np.asarray(lap.gear, dtype=float),
        "measured": lap.measured,
    } | {f"edge:{name}": values for name, values in (lap.edge_channels or {}).items()}


def _peak_confidence(
    laps: Sequence[LapTraces], k: int, bounds: np.ndarray, height: float, distance: float
) -> np.ndarray:
    """Per sample of the laps end to end: the height of the point-event peak placed there
    (0 where none). Each lap's peaks are picked on its grid (its samples without one) and go
    to the latest sample at or before them."""
    conf = np.zeros(int(bounds[-1]))
    for i, lap in enumerate(laps):
        on_grid = lap.grid_probs is not None
        trace = lap.grid_probs[k] if on_grid else lap.probs[k]
        at = lap.grid_times if on_grid else lap.times
        peaks = point_peaks(trace, at, height, distance)
        if len(peaks):
            np.maximum.at(conf, bounds[i] + previous_index(lap.times, at[peaks]), trace[peaks])
    return conf


#: A CNN shift reads its gears from the gear change of its direction nearest it within this
#: many seconds (the scoring's tolerance for point events); with none, it is no shift.
SHIFT_TOLERANCE_S = POINT_TOLERANCE


def gear_change_near(
    at: np.ndarray, gear: np.ndarray, times: np.ndarray, segments: np.ndarray, up: bool
) -> np.ndarray:
    """For each shift at sample ``at`` (laps end to end, labelled by ``segments``), the sample
    of the nearest gear change of its direction (up or down) in its lap within
    :data:`SHIFT_TOLERANCE_S`, or -1 where there is none: the gears a shift carries are the
    trace's before and at that change, never those where the CNN placed it."""
    step = np.diff(gear, prepend=gear[:1])
    step[segment_starts(segments, len(step))] = 0.0  # a lap's first sample changes nothing
    changes = np.flatnonzero(step > 0 if up else step < 0)
    out = np.full(len(at), -1, dtype=np.int64)
    if not len(changes) or not len(at):
        return out
    right = np.clip(np.searchsorted(changes, at), 0, len(changes) - 1)
    left = np.clip(right - 1, 0, len(changes) - 1)
    for candidates in (left, right):
        c = changes[candidates]
        gap = np.abs(times[c] - times[at])
        ok = (segments[c] == segments[at]) & (gap <= SHIFT_TOLERANCE_S)
        current = np.where(out >= 0, np.abs(times[np.maximum(out, 0)] - times[at]), np.inf)
        better = ok & (gap < current)
        out[better] = c[better]
    return out
