"""The rule detector: the exact rules that label real laps, plus a speed-only baseline.

Rules (on a lap's samples as they are, no resampling):

- ``braking``: a maximal run of samples with ``Brake`` on;
- ``drs``: a maximal run with ``DRS`` in {10, 12, 14}, on a lap whose ``DRS`` channel changes
  (a constant channel is a car without DRS: the 2026 cars, whose feed reads 0 throughout);
- ``lift_coast``: a maximal run of samples with ``Throttle`` < 10, ``Brake`` off and
  ``Speed`` >= 150 whose times span at least 0.5 s (a throttle-to-brake handover is not one);
- ``clipping``: a maximal run of samples, each with ``Throttle`` >= 98, ``Brake`` off,
  ``Speed`` >= 200, in a full-throttle stretch (consecutive samples with ``Throttle`` >= 98
  and ``Brake`` off) that began at least 1.0 s earlier (at the lap's first sample at the
  earliest) and ``Speed`` at most 1 km/h above the lap's own ``Speed`` 1.0 s earlier
  (linearly interpolated over ``Time``), whose times span at least 0.5 s: full throttle held
  with the speed no longer rising (energy clipping on 2026 cars, the drag-limited top speed on
  older ones; the re-acceleration after a lift is none, however fast the car was before it);
- ``upshift`` / ``downshift``: a point event at the first sample whose ``nGear`` is higher /
  lower than the previous sample's.

A run of samples i..j spans times t_i..t_j; a point event has start == end.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from typing import Any, NamedTuple

import numpy as np
import pandas as pd

from telecnn.telemetry.events.table import (
    MEASURED,
    MOVING,
    SPAN_TOLERANCE,
    SPEED_EXTRAS,
    STANDSTILL_KMH,
    events_frame,
    gear_columns,
    measured_samples,
    moving_mask,
    point_columns,
    run_bounds,
    run_columns,
    segment_starts,
    split_events,
)
from telecnn.telemetry.laps.end_to_end import end_to_end, groups
from telecnn.telemetry.laps.schema import DRS_OPEN_CODES, Lap, supported_events

#: lift_coast thresholds.
LIFT_THROTTLE_BELOW = 10.0
LIFT_MIN_SPEED = 150.0
LIFT_MIN_SPAN = 0.5
#: clipping thresholds: full throttle, fast, and the speed gained over the look-back at most
#: ``CLIP_MAX_GAIN`` km/h.
CLIP_THROTTLE = 98.0
CLIP_MIN_SPEED = 200.0
CLIP_LOOKBACK = 1.0
CLIP_MAX_GAIN = 1.0
CLIP_MIN_SPAN = 0.5
#: The speed-only baseline calls a sample braking when the car slows harder than this.
SPEED_RULE_DECEL_G = 1.5
G = 9.81


def rule_events(lap: Lap | pd.DataFrame | Mapping[str, np.ndarray]) -> pd.DataFrame:
    """The rule detector: every event the rules find on a lap, sorted by start time.

    Channels the lap lacks are skipped (no ``Brake``: no braking events, and so on). Extras:
    ``entry_speed`` and ``min_speed`` (km/h) for braking and lift_coast, ``entry_speed``,
    ``exit_speed`` and ``speed_lost`` (entry less exit) for clipping, ``from_gear`` and
    ``to_gear`` for shifts. Also takes a plain dict of column arrays. A car standing still
    has no events: events cover the moving car only
    (:func:`~telecnn.telemetry.events.table.moving_mask`).
    """
    return rule_events_laps([lap])[0]


#: The columns the rules read (and the moving flag, where a detector does not read Speed; RPM
#: and the measured flags only to tell measured samples from interpolated ones:
#: :func:`measured_samples`).
RULE_COLUMNS = (
    "Time", "Distance", "Speed", "Brake", "DRS", "Throttle", "nGear", "RPM", MOVING, MEASURED,
)  # fmt: skip


def rule_events_laps(
    laps: Sequence[Lap | pd.DataFrame | Mapping[str, np.ndarray]],
) -> list[pd.DataFrame]:
    """:func:`rule_events` of every lap, in one pass per set of columns: the laps that have the
    same ones are laid end to end (:mod:`~telecnn.telemetry.laps.end_to_end`) and each gets the
    table it would have alone."""
    arrays = [_arrays(lap) for lap in laps]
    out: list[Any] = [None] * len(laps)  # every lap is in one group
    keys = [tuple(c for c in RULE_COLUMNS if c in cols) for cols in arrays]
    for names, idx in groups(keys).items():
        joined = end_to_end([arrays[i] for i in idx], names)
        for i, events in zip(
            idx,
            split_events(rule_parts(joined.columns, joined.segments), joined.count),
            strict=True,
        ):
            out[i] = events
    return out


def rule_parts(
    cols: Mapping[str, np.ndarray], segments: np.ndarray | None = None
) -> list[dict[str, np.ndarray]]:
    """The rules on column arrays, as one column dict per event type (see :func:`rule_events`).

    ``segments``: the columns hold several laps end to end, labelled per sample; no event
    crosses a label change and each event carries its ``segment`` (see :func:`split_events`).
    """
    seg = segments
    t = np.asarray(cols["Time"], dtype=float)
    d = np.asarray(cols["Distance"], dtype=float) if "Distance" in cols else None
    speed = np.asarray(cols["Speed"], dtype=float) if "Speed" in cols else None
    moving = moving_mask(cols)
    move = moving if moving is not None else True  # events cover the moving car only
    measured = measured_samples(cols, seg)  # where entry speeds are read
    # a rule labels only where its whole condition is checked (no lifts without Brake)
    conditions = {n: c for n, c in event_conditions(cols, seg).items() if c.whole}
    parts: list[dict[str, Any]] = []
    if "braking" in conditions:
        brake = conditions["braking"].mask & move
        parts.append(run_columns(brake, t, d, "braking", 1, None, speed, seg, measured=measured))
    if "drs" in conditions:
        parts.append(run_columns(conditions["drs"].mask & move, t, d, "drs", 1, None, None, seg))
    for name in MIN_SPAN:
        if name in conditions:
            mask = conditions[name].mask
            extras = SPEED_EXTRAS[name]
            parts.append(
                run_columns(mask, t, d, name, 1, None, speed, seg, MIN_SPAN[name], extras, measured)
            )
    if "nGear" in cols:
        gear = np.asarray(cols["nGear"], dtype=float)
        step = np.diff(gear, prepend=gear[:1])
        step[segment_starts(seg, len(step))] = 0.0  # a lap's first sample is no shift
        for name, mask in (("upshift", (step > 0) & move), ("downshift", (step < 0) & move)):
            part = point_columns(mask, t, d, name, None, seg)
            gear_columns(part, np.flatnonzero(mask), gear)
            parts.append(part)
    return parts


_OPEN = np.array(sorted(DRS_OPEN_CODES))
#: The least span (s) of a run of each energy type's samples.
MIN_SPAN = {"lift_coast": LIFT_MIN_SPAN, "clipping": CLIP_MIN_SPAN}


class Condition(NamedTuple):
    """A type's sample condition as far as the channels at hand check it: per sample whether
    it holds, and whether that is the rule's whole condition (every channel it reads present)."""

    mask: np.ndarray
    whole: bool


def event_conditions(
    cols: Mapping[str, np.ndarray],
    segments: np.ndarray | None = None,
    types: Collection[str] = ("braking", "drs", "lift_coast", "clipping"),
) -> dict[str, Condition]:
    """Per interval type of ``types`` the channels in ``cols`` can check: its rule's sample
    condition (a run of it is an event; a lift or a clipping run once it spans the type's
    :data:`MIN_SPAN`), whole where every channel the rule reads is there. ``braking`` with
    ``Brake``, ``drs`` with ``DRS``; ``lift_coast`` and ``clipping`` with ``Throttle`` and
    ``Speed``, whole with ``Brake`` too (without it the brake counts as off: the rest of the
    condition). No standstill rule here (:func:`~telecnn.telemetry.events.table.moving_mask`)."""
    out: dict[str, Condition] = {}
    if "braking" in types and "Brake" in cols:
        out["braking"] = Condition(np.asarray(cols["Brake"]) > 0, True)
    if "drs" in types and "DRS" in cols:
        code = np.asarray(cols["DRS"])
        out["drs"] = Condition(np.isin(code, _OPEN) & channel_varies(code, segments), True)
    energy = [name for name in ("lift_coast", "clipping") if name in types]
    if energy and all(name in cols for name in ("Throttle", "Speed")):
        t = np.asarray(cols["Time"], dtype=float)
        speed = np.asarray(cols["Speed"], dtype=float)
        throttle = np.asarray(cols["Throttle"], dtype=float)
        whole = "Brake" in cols
        off_brake = np.asarray(cols["Brake"]) <= 0 if whole else np.ones(len(t), dtype=bool)
        if "lift_coast" in energy:
            lift = (throttle < LIFT_THROTTLE_BELOW) & off_brake & (speed >= LIFT_MIN_SPEED)
            out["lift_coast"] = Condition(lift, whole)
        if "clipping" in energy:
            full = (throttle >= CLIP_THROTTLE) & off_brake
            clip = full_throttle_held(t, full, segments) & speed_not_rising(t, speed, segments)
            out["clipping"] = Condition(clip, whole)
    return out


def full_throttle_held(
    t: np.ndarray, full: np.ndarray, segments: np.ndarray | None = None
) -> np.ndarray:
    """Per sample: whether it lies in a full-throttle stretch (``full``: consecutive samples
    with ``Throttle`` >= 98 and ``Brake`` off, within its lap) that began at least
    :data:`CLIP_LOOKBACK` earlier: the part of ``clipping`` that leaves out the re-acceleration
    after a lift."""
    starts, ends = run_bounds(full, 1, segments)
    began = np.full(len(t), np.inf)
    began[full] = np.repeat(t[starts], ends - starts + 1)  # each full sample's stretch start
    return t - began >= CLIP_LOOKBACK - SPAN_TOLERANCE


def speed_not_rising(
    t: np.ndarray, speed: np.ndarray, segments: np.ndarray | None = None
) -> np.ndarray:
    """Per sample: ``Speed`` >= 200, at least 1.0 s into its lap and at most 1 km/h above the
    lap's own speed 1.0 s earlier (interpolated over time): the speed part of ``clipping``."""
    if not len(t):
        return np.zeros(0, dtype=bool)
    starts = np.flatnonzero(segment_starts(segments, len(t)))
    since = t - np.repeat(t[starts], np.diff(np.append(starts, len(t))))
    # each lap on its own (laps laid end to end get exactly what they get alone: one time axis
    # shared by all would round the look-back differently from lap to lap)
    before = np.empty(len(t))
    for a, b in zip(starts, np.append(starts[1:], len(t)), strict=True):
        before[a:b] = np.interp(since[a:b] - CLIP_LOOKBACK, since[a:b], speed[a:b])
    return (
        (speed >= CLIP_MIN_SPEED)
        & (since >= CLIP_LOOKBACK - SPAN_TOLERANCE)
        & (speed <= before + CLIP_MAX_GAIN)
    )


def lap_events(
    data: pd.DataFrame | Mapping[str, np.ndarray], channels: Iterable[str]
) -> tuple[str, ...]:
    """The types a detector reading ``channels`` reports on a lap: :func:`supported_events`,
    without ``drs`` where the lap's DRS channel is constant (:func:`channel_varies`: a car
    without DRS, the 2026 cars' feed reads 0 throughout), as the DRS rule has it."""
    types = supported_events(channels)
    # one lap, one answer: its first sample's says it for every sample
    drs = np.asarray(data["DRS"]) if "DRS" in data else None
    without = drs is not None and len(drs) and not channel_varies(drs)[0]
    if "drs" in types and without:
        return tuple(t for t in types if t != "drs")
    return types


def channel_varies(values: np.ndarray, segments: np.ndarray | None = None) -> np.ndarray:
    """Per sample: whether its lap's channel takes more than one value (a constant DRS channel
    is a car without DRS)."""
    if len(values) == 0:
        return np.zeros(0, dtype=bool)
    first = np.flatnonzero(segment_starts(segments, len(values)))
    v = np.asarray(values, dtype=float)
    varies = np.maximum.reduceat(v, first) > np.minimum.reduceat(v, first)
    return np.repeat(varies, np.diff(np.append(first, len(v))))


def _arrays(lap: Lap | pd.DataFrame | Mapping[str, np.ndarray]) -> Mapping[str, np.ndarray]:
    if isinstance(lap, Lap):
        return lap.columns
    if isinstance(lap, pd.DataFrame):
        return {c: lap[c].to_numpy() for c in lap.columns}
    return lap


def speed_rule_events(
    lap: Lap | pd.DataFrame | Mapping[str, np.ndarray], decel_g: float = SPEED_RULE_DECEL_G
) -> pd.DataFrame:
    """Speed-only baseline: ``braking`` where the car slows by more than ``decel_g`` g.

    Sample i counts as braking when the speed drop from i to i+1 exceeds the threshold (the
    pedal goes on at i, the speed falls after). Without ``Speed`` it is derived from
    ``Distance`` (or X/Y), so laps with position only work too.
    """
    cols = _arrays(lap)
    t = np.asarray(cols["Time"], dtype=float)
    d = np.asarray(cols["Distance"], dtype=float) if "Distance" in cols else None
    speed = speed_kmh(cols)
    if speed is None or len(t) < 2:
        return events_frame()
    accel = np.diff(speed / 3.6) / np.maximum(np.diff(t), 1e-3)
    mask = np.concatenate((accel < -decel_g * G, [False])) & (speed >= STANDSTILL_KMH)
    measured = measured_samples({**cols, "Speed": speed})
    return events_frame(run_columns(mask, t, d, "braking", 1, None, speed, measured=measured))


def speed_kmh(lap: Lap | pd.DataFrame | Mapping[str, np.ndarray]) -> np.ndarray | None:
    """The lap's speed in km/h: ``Speed`` if present, else from ``Distance`` or X/Y (1/10 m)."""
    cols = _arrays(lap)
    if "Speed" in cols:
        return np.asarray(cols["Speed"], dtype=float)
    t = np.asarray(cols["Time"], dtype=float)
    if "Distance" in cols:
        dist = np.asarray(cols["Distance"], dtype=float)
    elif "X" in cols and "Y" in cols:
        step = np.hypot(
            np.diff(np.asarray(cols["X"], float)), np.diff(np.asarray(cols["Y"], float))
        )
        dist = np.concatenate(([0.0], np.cumsum(step) / 10.0))
    else:
        return None
    if len(t) < 2:
        return None
    return np.gradient(dist, t) * 3.6
