"""The event table toolkit: events as a DataFrame with :data:`EVENT_COLUMNS`, built from runs
and points of per-sample masks, and per-sample masks back from a table.

Everything that makes or reads an event table uses these: the rules, the simulator's truth,
the detector's post-processing, its training targets and cleaning.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from telecnn.telemetry.laps.schema import EVENT_COLUMNS, EVENT_TYPES, POINT_EVENTS


def empty_events() -> pd.DataFrame:
    """An events table with no rows and the standard columns."""
    return events_frame()


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
    first = segment_starts(segments, m.size)
    last = np.append(first[1:], True)
    starts = np.flatnonzero(m & (first | ~np.concatenate(([False], m[:-1]))))
    ends = np.flatnonzero(m & (last | ~np.append(m[1:], False)))
    keep = (ends - starts + 1) >= min_samples
    return starts[keep], ends[keep]


def runs_mask(starts: np.ndarray, ends: np.ndarray, n: int) -> np.ndarray:
    """A boolean mask of ``n`` samples, True on each inclusive run ``starts[k]..ends[k]``."""
    step = np.zeros(n + 1, dtype=np.int64)
    np.add.at(step, starts, 1)
    np.add.at(step, ends + 1, -1)
    return np.cumsum(step[:-1]) > 0


def segment_starts(segments: np.ndarray | None, n: int) -> np.ndarray:
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
        out[i] = runs_mask(lo, hi - 1, len(times))
    return out


#: The speed columns (km/h) each interval type's events carry, from the rules and the detector.
SPEED_EXTRAS: dict[str, tuple[str, ...]] = {
    "braking": ("entry_speed", "min_speed"),
    "lift_coast": ("entry_speed", "min_speed"),
    "clipping": ("entry_speed", "exit_speed", "speed_lost"),
}
#: The types whose ``entry_speed`` is the car's speed as the zone begins: at the last measured
#: sample before its first (:func:`onset_entry`; the pedal went on between the two, and at
#: 3.7 Hz the first braking sample has already lost tens of km/h to the brakes), at a lap's
#: first sample its own. Other types' entry speed is their first sample's.
ONSET_TYPES: frozenset[str] = frozenset({"braking", "lift_coast"})
#: How far back (s) a zone's entry looks for a measured sample before it falls back to the
#: sample just before the zone.
ENTRY_LOOKBACK_S = 1.0
#: Seconds of float rounding forgiven when a run's span is held against a minimum (times read
#: from files are sums of decimal steps: 0.1 * 5 is 0.49999...).
SPAN_TOLERANCE = 1e-9
#: A value within this share of the straight line between its neighbours' is one interpolated
#: between them (exact in float64; 1e-5 forgives a file's rounding to 3 decimals).
INTERPOLATED_TOLERANCE = 1e-5
#: The column a lap's measured-sample flags travel in (:func:`measured_samples`), beside
#: channels read without RPM or Throttle, as :data:`MOVING` travels beside those without Speed.
MEASURED = "_measured"
#: The continuous channels a merged feed interpolates together: a sample is interpolated where
#: every one of them the lap has lies on its neighbours' line.
INTERPOLATED_CHANNELS = ("Speed", "RPM", "Throttle")


def on_neighbours_line(values: np.ndarray, times: np.ndarray) -> np.ndarray:
    """True where a sample's value lies on the straight line (in time) between its
    neighbours' (a lap's ends never do)."""
    x = np.asarray(values, dtype=float)
    out = np.zeros(len(x), dtype=bool)
    if len(x) < 3:
        return out
    t = np.asarray(times, dtype=float)
    span = t[2:] - t[:-2]
    with np.errstate(divide="ignore", invalid="ignore"):
        line = x[:-2] + (t[1:-1] - t[:-2]) / span * (x[2:] - x[:-2])
    tolerance = INTERPOLATED_TOLERANCE * np.maximum(1.0, np.abs(x[1:-1]))
    out[1:-1] = (span > 0) & (np.abs(x[1:-1] - line) <= tolerance)
    return out


def measured_samples(
    cols: Mapping[str, np.ndarray], segments: np.ndarray | None = None
) -> np.ndarray | None:
    """True where a sample is a measurement of its own, False where every continuous channel
    (:data:`INTERPOLATED_CHANNELS`) lies on the line between its neighbours: fastf1's merged
    telemetry gives its position samples values interpolated between two car-data samples
    (the car data, where speed and pedals are measured, comes at about 4 Hz), and cleaning
    fills gaps so. A lap's first and last samples are measurements. None without ``Speed``.
    A property of the lap, not of the channels a detector reads: a caller that hands on only
    some channels passes the lap's own flags as the :data:`MEASURED` column."""
    if MEASURED in cols:
        return np.asarray(cols[MEASURED], dtype=bool)
    if "Speed" not in cols:
        return None
    times = np.asarray(cols["Time"], dtype=float)
    inside = np.ones(len(times), dtype=bool)
    for name in INTERPOLATED_CHANNELS:
        if name in cols:
            inside &= on_neighbours_line(cols[name], times)
    first = segment_starts(segments, len(times)) if len(times) else np.zeros(0, dtype=bool)
    inside[first] = False
    inside[np.flatnonzero(first)[1:] - 1] = False  # each lap's last sample
    return ~inside


def onset_entry(
    measured: np.ndarray, times: np.ndarray, starts: np.ndarray, first: np.ndarray
) -> np.ndarray:
    """Each zone's entry sample (``starts``: the zones' first samples; ``first``: each lap's
    first sample): the last measured sample before the zone (:func:`measured_samples`) within
    :data:`ENTRY_LOOKBACK_S` and its lap, else the sample just before; a zone that begins a
    lap is its own entry."""
    starts = np.asarray(starts, dtype=np.int64)
    if len(starts) == 0:
        return starts
    index = np.arange(len(measured))
    last_measured = np.maximum.accumulate(np.where(measured, index, 0))
    before = np.maximum(starts - 1, 0)
    entry = last_measured[before]
    t = np.asarray(times, dtype=float)
    lap_start = np.maximum.accumulate(np.where(first, index, 0))[starts]
    near = (entry >= lap_start) & (t[starts] - t[entry] <= ENTRY_LOOKBACK_S)
    return np.where(first[starts], starts, np.where(near, entry, before))


def run_min(values: np.ndarray, starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """The minimum of ``values`` over each run ``starts[k]..ends[k]`` (inclusive), vectorised."""
    return _run_reduce(np.minimum, np.inf, values, starts, ends)


def run_max(values: np.ndarray, starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """The maximum of ``values`` over each run ``starts[k]..ends[k]`` (inclusive), vectorised."""
    return _run_reduce(np.maximum, -np.inf, values, starts, ends)


def _run_reduce(
    op: np.ufunc, neutral: float, values: np.ndarray, starts: np.ndarray, ends: np.ndarray
) -> np.ndarray:
    """``op`` over each run: one ``reduceat`` over the runs' bounds (a neutral sample past the
    end, so the last run stops at its own end and nothing after it counts)."""
    if len(starts) == 0:
        return np.zeros(0)
    padded = np.append(np.asarray(values, dtype=float), neutral)
    bounds = np.column_stack((starts, ends + 1)).ravel()
    return op.reduceat(padded, bounds)[::2]


def run_columns(
    mask: np.ndarray,
    times: np.ndarray,
    distances: np.ndarray | None,
    event: str,
    min_samples: int = 1,
    confidence: np.ndarray | None = None,
    speed: np.ndarray | None = None,
    segments: np.ndarray | None = None,
    min_span: float = 0.0,
    speed_columns: tuple[str, ...] = ("entry_speed", "min_speed"),
    measured: np.ndarray | None = None,
) -> dict[str, np.ndarray]:
    """Event columns (a part for :func:`events_frame`) of every maximal run of ``mask``: the
    standard columns, a confidence (the run's mean of ``confidence``, else 1.0) and, with
    ``speed``, the run's ``speed_columns`` (of ``entry_speed``, ``min_speed``, ``exit_speed``
    and ``speed_lost``, entry less exit, all km/h; ``segments``: a label per
    sample; runs end where it changes and each event carries its own, see :func:`split_events`).
    Runs of fewer than ``min_samples`` samples, or whose times span less than ``min_span``
    seconds, are left out. ``measured`` (:func:`measured_samples`) places the entry of
    :data:`ONSET_TYPES` on the last measured sample before a run (without it, the sample
    just before)."""
    starts, ends = run_bounds(mask, min_samples, segments)
    if min_span > 0 and len(starts):
        t = np.asarray(times, dtype=float)
        keep = t[ends] - t[starts] >= min_span - SPAN_TOLERANCE
        starts, ends = starts[keep], ends[keep]
    cols = _base_columns(event, times, distances, starts, ends, segments)
    if confidence is None:
        cols["confidence"] = np.ones(len(starts))
    else:
        c = np.concatenate(([0.0], np.cumsum(np.asarray(confidence, dtype=float))))
        cols["confidence"] = (c[ends + 1] - c[starts]) / (ends - starts + 1)
    if speed is not None:
        entry = starts
        if event in ONSET_TYPES and len(starts):
            every = np.ones(len(speed), dtype=bool) if measured is None else measured
            entry = onset_entry(every, times, starts, segment_starts(segments, len(speed)))
        values = {
            "entry_speed": lambda: speed[entry],
            "exit_speed": lambda: speed[ends],
            "min_speed": lambda: run_min(speed, starts, ends),
            "speed_lost": lambda: speed[starts] - speed[ends],
        }
        for name in speed_columns:
            cols[name] = values[name]()
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


def gear_columns(
    part: dict[str, np.ndarray],
    at: np.ndarray,
    gear: np.ndarray,
    segments: np.ndarray | None = None,
) -> None:
    """Add ``from_gear`` / ``to_gear`` to a shift part: the gear before and at each sample
    ``at`` (the part's rows, in order: each a gear change; a lap's first sample has no sample
    before it)."""
    before = np.where(segment_starts(segments, len(gear))[at], at, at - 1) if len(gear) else at
    part["from_gear"] = gear[before]
    part["to_gear"] = gear[at]


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
    if not parts:
        return [events_frame() for _ in range(count)]
    names, cols = _sorted_columns(parts)
    bounds = np.searchsorted(cols.pop(SEGMENT), np.arange(count + 1))
    # one frame (copied: one block per dtype), cut: a DataFrame built per lap costs more than
    # the lap's whole detection, and cutting a frame of a block per column nearly as much
    whole = pd.DataFrame({name: cols[name] for name in names})
    return [
        whole.iloc[a:b].reset_index(drop=True) for a, b in zip(bounds[:-1], bounds[1:], strict=True)
    ]


#: The column parts made with ``segments`` carry (each event's lap when laps lie end to end).
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


#: Below this speed (km/h) the car stands (the grid, the pit box, the garage): nothing it does
#: there is an event.
STANDSTILL_KMH = 5.0
#: A column of laps' per-sample "the car moves" flags, given beside the channels a detector
#: reads where it does not read ``Speed`` (:func:`moving_mask`).
MOVING = "_moving"


def moving_mask(cols: Mapping[str, np.ndarray]) -> np.ndarray | None:
    """Per sample: whether the car moves (``Speed`` >= :data:`STANDSTILL_KMH`; the
    :data:`MOVING` column where given); None without either. The one standstill rule: events
    cover the moving car only, so a zone is cut where the car stands (a brake held on the
    grid is no braking zone, a gear picked in the pit box no shift, seconds standing are no
    seconds of braking). The rules, the CNN's post-processing and so the labels and the
    summaries all apply it."""
    if MOVING in cols:
        return np.asarray(cols[MOVING], dtype=bool)
    if "Speed" in cols:
        return np.asarray(cols["Speed"], dtype=float) >= STANDSTILL_KMH
    return None
