"""The rule detector: the exact rules that label real laps, plus a speed-only baseline.

Rules (on a lap's samples as they are, no resampling):

- ``braking``: a maximal run of samples with ``Brake`` on;
- ``drs``: a maximal run with ``DRS`` in {10, 12, 14};
- ``lift_coast``: a maximal run of at least 2 samples with ``Throttle`` < 10, ``Brake`` off and
  ``Speed`` >= 150;
- ``upshift`` / ``downshift``: a point event at the first sample whose ``nGear`` is higher /
  lower than the previous sample's.

A run of samples i..j spans times t_i..t_j; a point event has start == end.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from telecnn.telemetry.schema import DRS_OPEN_CODES, EVENT_COLUMNS, EVENT_TYPES, POINT_EVENTS, Lap

#: lift_coast thresholds.
LIFT_THROTTLE_BELOW = 10.0
LIFT_MIN_SPEED = 150.0
LIFT_MIN_SAMPLES = 2
#: The speed-only baseline calls a sample braking when the car slows harder than this.
SPEED_RULE_DECEL_G = 1.5
G = 9.81


def run_bounds(
    mask: np.ndarray, min_samples: int = 1, segments: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Start and end indices (inclusive) of every maximal True run of at least ``min_samples``.

    ``segments`` (one label per sample, e.g. the lap of laps laid end to end): runs also end
    where the label changes.
    """
    m = np.asarray(mask, dtype=bool)
    if m.size == 0:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty
    first = _segment_starts(segments, m.size)
    last = np.append(first[1:], True)
    starts = np.flatnonzero(m & (first | ~np.concatenate(([False], m[:-1]))))
    ends = np.flatnonzero(m & (last | ~np.append(m[1:], False)))
    keep = (ends - starts + 1) >= min_samples
    return starts[keep], ends[keep]


def _segment_starts(segments: np.ndarray | None, n: int) -> np.ndarray:
    """True at the first sample of each segment (just sample 0 without segments)."""
    first = np.zeros(n, dtype=bool)
    first[0] = True
    if segments is not None:
        first[1:] = segments[1:] != segments[:-1]
    return first


def event_masks(
    events: pd.DataFrame, times: np.ndarray, types: tuple[str, ...] = EVENT_TYPES
) -> np.ndarray:
    """A ``(len(types), len(times))`` boolean array: sample k is inside an event of type i.

    Interval events cover every time in [start, end]; a point event marks the sample nearest to
    its time. Works for a lap's own samples or for a uniform grid (pass the grid's times).
    """
    times = np.asarray(times, dtype=float)
    out = np.zeros((len(types), len(times)), dtype=bool)
    if len(events) == 0 or len(times) == 0:
        return out
    for i, name in enumerate(types):
        rows = events[events["event"] == name]
        if rows.empty:
            continue
        start = rows["start_time"].to_numpy(dtype=float)
        end = rows["end_time"].to_numpy(dtype=float)
        if name in POINT_EVENTS:
            pos = np.clip(np.searchsorted(times, start), 1, len(times) - 1)
            nearer_left = (start - times[pos - 1]) <= (times[pos] - start)
            out[i, np.where(nearer_left, pos - 1, pos)] = True
            continue
        lo = np.searchsorted(times, start - 1e-9, side="left")
        hi = np.searchsorted(times, end + 1e-9, side="right")
        diff = np.zeros(len(times) + 1, dtype=np.int64)
        np.add.at(diff, lo, 1)
        np.add.at(diff, hi, -1)
        out[i] = np.cumsum(diff[:-1]) > 0
    return out


def rule_events(lap: Lap | pd.DataFrame | Mapping[str, np.ndarray]) -> pd.DataFrame:
    """The rule detector: every event the rules find on a lap, sorted by start time.

    Channels the lap lacks are skipped (no ``Brake``: no braking events, and so on). Extras:
    ``entry_speed`` and ``min_speed`` (km/h) for braking and lift_coast, ``from_gear`` and
    ``to_gear`` for shifts. Also takes a plain dict of column arrays.
    """
    return events_frame(*rule_parts(_arrays(lap)))


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
    parts: list[dict[str, Any]] = []
    if "Brake" in cols:
        brake = np.asarray(cols["Brake"]) > 0
        parts.append(run_columns(brake, t, d, "braking", 1, None, speed, seg))
    if "DRS" in cols:
        code = np.asarray(cols["DRS"])
        drs = np.zeros(len(code), dtype=bool)
        for open_code in _OPEN:
            drs |= code == open_code
        parts.append(run_columns(drs, t, d, "drs", 1, None, None, seg))
    if "Throttle" in cols and "Brake" in cols and speed is not None:
        lift = (
            (np.asarray(cols["Throttle"], dtype=float) < LIFT_THROTTLE_BELOW)
            & (np.asarray(cols["Brake"]) <= 0)
            & (speed >= LIFT_MIN_SPEED)
        )
        parts.append(run_columns(lift, t, d, "lift_coast", LIFT_MIN_SAMPLES, None, speed, seg))
    if "nGear" in cols:
        gear = np.asarray(cols["nGear"], dtype=float)
        step = np.diff(gear, prepend=gear[:1])
        step[_segment_starts(seg, len(step))] = 0.0  # a lap's first sample is no shift
        for name, mask in (("upshift", step > 0), ("downshift", step < 0)):
            part = point_columns(mask, t, d, name, None, seg)
            idx = np.flatnonzero(mask)
            part["from_gear"] = gear[idx - 1]
            part["to_gear"] = gear[idx]
            parts.append(part)
    return parts


_OPEN = np.array(sorted(DRS_OPEN_CODES))


def _arrays(lap: Lap | pd.DataFrame | Mapping[str, np.ndarray]) -> Mapping[str, np.ndarray]:
    data = lap.data if isinstance(lap, Lap) else lap
    if isinstance(data, pd.DataFrame):
        return {c: data[c].to_numpy() for c in data.columns}
    return data


def speed_rule_events(lap: Lap | pd.DataFrame, decel_g: float = SPEED_RULE_DECEL_G) -> pd.DataFrame:
    """Speed-only baseline: ``braking`` where the car slows by more than ``decel_g`` g.

    Sample i counts as braking when the speed drop from i to i+1 exceeds the threshold (the
    pedal goes on at i, the speed falls after). Without ``Speed`` it is derived from
    ``Distance`` (or X/Y), so laps with position only work too.
    """
    data = lap.data if isinstance(lap, Lap) else lap
    t = data["Time"].to_numpy(dtype=float)
    d = data["Distance"].to_numpy(dtype=float) if "Distance" in data else None
    speed = speed_kmh(data)
    if speed is None or len(t) < 2:
        return events_frame()
    accel = np.diff(speed / 3.6) / np.maximum(np.diff(t), 1e-3)
    mask = np.concatenate((accel < -decel_g * G, [False]))
    return events_frame(run_columns(mask, t, d, "braking", 1, None, speed))


def speed_kmh(data: pd.DataFrame) -> np.ndarray | None:
    """The lap's speed in km/h: ``Speed`` if present, else from ``Distance`` or X/Y (1/10 m)."""
    if "Speed" in data:
        return data["Speed"].to_numpy(dtype=float)
    t = data["Time"].to_numpy(dtype=float)
    if "Distance" in data:
        dist = data["Distance"].to_numpy(dtype=float)
    elif {"X", "Y"} <= set(data.columns):
        step = np.hypot(np.diff(data["X"].to_numpy(float)), np.diff(data["Y"].to_numpy(float)))
        dist = np.concatenate(([0.0], np.cumsum(step) / 10.0))
    else:
        return None
    if len(t) < 2:
        return None
    return np.gradient(dist, t) * 3.6


def run_min(values: np.ndarray, starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """The minimum of ``values`` over each run ``starts[k]..ends[k]`` (inclusive), vectorised."""
    if len(starts) == 0:
        return np.zeros(0)
    padded = np.append(np.asarray(values, dtype=float), np.inf)
    bounds = np.column_stack((starts, ends + 1)).ravel()
    return np.minimum.reduceat(padded, bounds)[::2]


def run_columns(
    mask: np.ndarray,
    times: np.ndarray,
    distances: np.ndarray | None,
    event: str,
    min_samples: int = 1,
    confidence: np.ndarray | None = None,
    speed: np.ndarray | None = None,
    segments: np.ndarray | None = None,
) -> dict[str, np.ndarray]:
    """Event columns (a part for :func:`events_frame`) of every maximal run of ``mask``: the
    standard columns, a confidence (the run's mean of ``confidence``, else 1.0) and, with
    ``speed``, the run's ``entry_speed`` and ``min_speed`` (``segments``: see
    :func:`rule_parts`)."""
    starts, ends = run_bounds(mask, min_samples, segments)
    cols = _base_columns(event, times, distances, starts, ends, segments)
    if confidence is None:
        cols["confidence"] = np.ones(len(starts))
    else:
        c = np.concatenate(([0.0], np.cumsum(np.asarray(confidence, dtype=float))))
        cols["confidence"] = (c[ends + 1] - c[starts]) / (ends - starts + 1)
    if speed is not None:
        cols["entry_speed"] = speed[starts]
        cols["min_speed"] = run_min(speed, starts, ends)
    return cols


def point_columns(
    mask: np.ndarray,
    times: np.ndarray,
    distances: np.ndarray | None,
    event: str,
    confidence: np.ndarray | None = None,
    segments: np.ndarray | None = None,
) -> dict[str, np.ndarray]:
    """Event columns of a point event at every True sample of ``mask``."""
    idx = np.flatnonzero(np.asarray(mask, dtype=bool))
    cols = _base_columns(event, times, distances, idx, idx, segments)
    conf = np.ones(len(idx)) if confidence is None else np.asarray(confidence, float)[idx]
    cols["confidence"] = conf
    return cols


def _base_columns(event, times, distances, starts, ends, segments=None) -> dict:
    times = np.asarray(times, dtype=float)
    dist = None if distances is None else np.asarray(distances, dtype=float)
    nan = np.full(len(starts), np.nan)
    cols = {
        "event": np.full(len(starts), event, dtype=object),
        "start_time": times[starts],
        "end_time": times[ends],
        "start_distance": nan if dist is None else dist[starts],
        "end_distance": nan if dist is None else dist[ends],
    }
    if segments is not None:
        cols[SEGMENT] = segments[starts]
    return cols


def events_frame(*parts: Mapping[str, np.ndarray]) -> pd.DataFrame:
    """One events DataFrame from column dicts: standard columns first, extras after (NaN where a
    type has none), sorted by start time then taxonomy order."""
    names, cols = _sorted_columns(parts)
    if not parts:
        return pd.DataFrame({c: pd.Series(dtype=object if c == "event" else float) for c in names})
    return pd.DataFrame(cols, copy=False)


def split_events(parts: list[Mapping[str, np.ndarray]], count: int) -> list[pd.DataFrame]:
    """Parts made with ``segments`` 0..``count``-1 (laps laid end to end) as one events
    DataFrame per segment, each exactly what :func:`events_frame` gives for that lap alone."""
    names, cols = _sorted_columns(parts)
    bounds = np.searchsorted(cols.pop(SEGMENT), np.arange(count + 1))
    return [
        pd.DataFrame({name: cols[name][a:b] for name in names}, copy=False)
        for a, b in zip(bounds[:-1], bounds[1:], strict=True)
    ]


#: The column :func:`rule_parts` adds when given ``segments``.
SEGMENT = "_segment"


def _sorted_columns(
    parts: tuple[Mapping[str, np.ndarray], ...] | list[Mapping[str, np.ndarray]],
) -> tuple[list[str], dict[str, np.ndarray]]:
    """The column names (standard, then extras) and the parts' rows merged and sorted by
    segment (when present), start time, then taxonomy order."""
    extras: list[str] = []
    for p in parts:
        extras += [k for k in p if k not in EVENT_COLUMNS and k not in extras and k != SEGMENT]
    names = list(EVENT_COLUMNS) + extras
    if not parts:
        return names, {}
    keys = [SEGMENT] if SEGMENT in parts[0] else []
    parts = tuple(p for p in parts if len(p["event"])) or tuple(parts[:1])
    sizes = [len(p["event"]) for p in parts]
    row = {name: i for i, name in enumerate(names[1:] + keys)}
    block = np.full((len(row), sum(sizes)), np.nan)  # every column but "event"
    at = 0
    for p, size in zip(parts, sizes, strict=True):
        for name, values in p.items():
            if name != "event":
                block[row[name], at : at + size] = values
        at += size
    events = np.concatenate([p["event"] for p in parts]).astype(object)
    rank = np.concatenate([_type_rank(p["event"]) for p in parts])
    order = np.lexsort((rank, block[row["start_time"]], *[block[row[k]] for k in keys]))
    block = block[:, order]
    cols = {"event": events[order]}
    cols.update({name: block[i] for name, i in row.items()})
    return names, cols


_RANK = {name: i for i, name in enumerate(EVENT_TYPES)}


def _type_rank(events: np.ndarray) -> np.ndarray:
    """Taxonomy order of each event name (parts usually hold one type, so this is cheap)."""
    names = set(events.tolist())
    if len(names) <= 1:
        return np.full(len(events), _RANK.get(next(iter(names), ""), len(_RANK)), dtype=np.int64)
    return np.array([_RANK.get(e, len(_RANK)) for e in events], dtype=np.int64)
