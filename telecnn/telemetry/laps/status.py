"""A lap's status, decided once where laps are made, for every source; every picker (the
fastest lap, a driver's laps) and every aggregate (medians) is a filter over it.

- **whole or partial**: a whole lap's trace covers the circuit: it travels at least
  :data:`WHOLE_SHARE` of the session's lap length (the median distance of its longest laps)
  and, where it has positions, starts and ends at the line (within :data:`LINE_RADIUS_SHARE` of
  a lap length of where the session's laps start). A crash, a retirement, an aborted run or a
  stretch of pit lane is partial. A lap alone is judged by its own path only.
- **in-lap / out-lap**: timing's pit times where the source has them; else the trace: a lap
  that ends (starts) in the pit lane is an in-lap (out-lap), both when a pit-lane stretch lies
  inside it (with a stop in it). A lap is looked at when it starts or ends below
  :data:`PIT_SPEED_KMH` or stands still; the pit lane is then a stretch below
  :data:`PIT_ROAD_KMH` in which the car drives at least :data:`PIT_OFFSET_M` off the session's
  racing line for :data:`PIT_MIN_S` (without positions: on the speed limiter's plateau, within
  :data:`LIMITER_RANGE_KMH`, as long); a car standing off the line (a crash) is no pit stop.
- **lap time**: timing's (fastf1's ``Laps``, a timing file, ``laptimes.json``, a lap export,
  the simulator); where timing has no time for a lap it has none. Without timing a whole lap's
  trace duration is its lap time, marked ``"estimated"``, unless the car stood for
  :data:`GARAGE_S` or more in it (minutes in the garage are no lap). A partial lap's trace
  duration is never a lap time.
- **stints** where timing has none: a new stint where the compound changes or the car leaves
  the pits after standing in them (a stop in the box, the garage).
- **the status word** (:func:`lap_status`): ``in-lap``, ``out-lap`` or ``in/out``;
  ``partial``; ``red flag``, ``sc``, ``vsc`` (timing's track status); ``deleted``;
  ``inaccurate`` (timing says so); ``untimed``; else ``clean``.
- **filters** (:data:`LAP_FILTERS`): ``clean`` laps only (the default of every picker and
  aggregate), ``whole`` laps with a lap time (in- and out-laps and safety cars too), or
  ``all`` laps.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass, replace

import numpy as np

from telecnn.telemetry.events.rules import channel_varies
from telecnn.telemetry.events.table import STANDSTILL_KMH, run_bounds, runs_mask
from telecnn.telemetry.laps.axes import distance_from_speed
from telecnn.telemetry.laps.schema import Lap, LapMeta
from telecnn.telemetry.laps.statuses import LAP_FILTERS as LAP_FILTERS
from telecnn.telemetry.laps.statuses import STATUSES as STATUSES

#: A whole lap travels at least this share of the session's lap length.
WHOLE_SHARE = 0.9
#: A whole lap with positions starts and ends within this share of a lap length of the line.
LINE_RADIUS_SHARE = 0.04
#: Standing this long (s) in one stretch is the garage: no lap time is estimated over it.
GARAGE_S = 60.0
#: The pit lane: below this speed (km/h; limits are 60 or 80), this far (m) off the racing
#: line, for this long (s).
PIT_SPEED_KMH = 100.0
PIT_OFFSET_M = 12.0
#: Below this speed (km/h) a car may be on the road into or out of the pit lane.
PIT_ROAD_KMH = 150.0
PIT_MIN_S = 2.0
#: Without positions, the speed limiter: a plateau within this range (km/h), above this speed.
LIMITER_RANGE_KMH = 3.0
LIMITER_MIN_KMH = 40.0
#: A lap with this many seconds standing in one stretch counts as a pit or garage candidate.
STAND_S = 1.0
#: Racing line path spacing (m) and how far (m) around a sample's expected place it is searched.
PATH_STEP_M = 2.0
PATH_WINDOW_M = 250.0


def lap_status(meta: LapMeta) -> str:
    """The lap's status in a word (see the module's notes for the order of precedence)."""
    if meta.pit_in and meta.pit_out:
        return "in/out"
    if meta.pit_in:
        return "in-lap"
    if meta.pit_out:
        return "out-lap"
    if meta.whole is False:
        return "partial"
    track = track_flag(meta.track_status)
    if track:
        return track
    if meta.deleted:
        return "deleted"
    if meta.accurate is False:
        return "inaccurate"
    if meta.lap_time is None:
        return "untimed"
    return "clean"


def track_flag(track_status: str | None) -> str | None:
    """fastf1's track status codes during a lap (``"1"``, ``"124"``...) as the worst flag:
    ``red flag`` (5), ``sc`` (4), ``vsc`` (6, 7), or None (green, yellow)."""
    codes = set(str(track_status or ""))
    if "5" in codes:
        return "red flag"
    if "4" in codes:
        return "sc"
    if codes & {"6", "7"}:
        return "vsc"
    return None


def counts(meta: LapMeta, lap_filter: str = "clean") -> bool:
    """Whether a lap counts under ``lap_filter`` (:data:`LAP_FILTERS`)."""
    if lap_filter == "all":
        return True
    if lap_filter == "whole":
        return meta.whole is not False and meta.lap_time is not None
    return lap_status(meta) == "clean"


@dataclass(frozen=True)
class PitLook:
    """The stretches of a lap that could be a pit lane (below :data:`PIT_ROAD_KMH`, at its
    start or end or with a stop in them): their samples' times, speeds, distances into the lap
    and positions (None without), and each stretch's bounds within them and where it lies."""

    t: np.ndarray
    speed: np.ndarray
    along: np.ndarray
    xy: tuple[np.ndarray, np.ndarray] | None
    starts: np.ndarray
    ends: np.ndarray
    at_start: np.ndarray
    at_end: np.ndarray
    stopped: np.ndarray


@dataclass(frozen=True)
class LapTrace:
    """What judging a lap reads of its samples (small, computed once per lap: a stream of laps
    keeps these, not the samples)."""

    duration: float
    covered_m: float
    longest_stand: float
    start_speed: float
    end_speed: float
    start_xy: tuple[float, float] | None
    end_xy: tuple[float, float] | None
    pit: PitLook | None = None
    #: Whether its ``DRS`` channel changes (the flap opens; a constant one: no DRS).
    drs_changes: bool = False

    @property
    def racing(self) -> bool:
        """Whether the lap could give the session's racing line: positions, no stop, fast at
        both ends."""
        return (
            self.start_xy is not None
            and self.longest_stand < STAND_S
            and self.start_speed >= PIT_SPEED_KMH
            and self.end_speed >= PIT_SPEED_KMH
        )


def lap_trace(lap: Lap) -> LapTrace:
    """The :class:`LapTrace` of a lap."""
    cols, t = lap.columns, lap.times
    speed = _speed(lap)
    if speed is not None:
        covered = float(distance_from_speed(t, np.clip(speed, 0.0, None))[-1])
    else:
        d = lap.distance
        covered = float(np.nanmax(d) - np.nanmin(d)) if np.isfinite(d).any() else np.nan
    stand = 0.0
    if speed is not None:
        starts, ends = run_bounds(speed < STANDSTILL_KMH)
        if len(starts):
            after = np.minimum(ends + 1, len(t) - 1)
            stand = float(np.max(t[after] - t[starts]))
    xy = _xy(cols)
    trace = LapTrace(
        duration=float(t[-1] - t[0]),
        covered_m=covered,
        longest_stand=stand,
        start_speed=np.nan if speed is None else float(speed[0]),
        end_speed=np.nan if speed is None else float(speed[-1]),
        start_xy=None if xy is None else (float(xy[0][0]), float(xy[1][0])),
        end_xy=None if xy is None else (float(xy[0][-1]), float(xy[1][-1])),
        drs_changes="DRS" in cols and len(t) > 0 and bool(channel_varies(cols["DRS"])[0]),
    )
    return replace(trace, pit=_pit_look(t, speed, xy, trace))


def _pit_look(
    t: np.ndarray, speed: np.ndarray | None, xy: tuple | None, trace: LapTrace
) -> PitLook | None:
    """The lap's :class:`PitLook`, or None where it has no stretch that could be a pit lane
    (it neither starts nor ends slowly, nor stops) or no speed."""
    slow_ends = trace.start_speed < PIT_SPEED_KMH or trace.end_speed < PIT_SPEED_KMH
    if speed is None or not (slow_ends or trace.longest_stand >= STAND_S):
        return None
    moving = speed >= STANDSTILL_KMH
    standing = np.concatenate([[0.0], np.cumsum(~moving * np.diff(t, append=t[-1]))])
    starts, ends = run_bounds(speed < PIT_ROAD_KMH)
    last = len(t) - 1
    stopped = standing[ends + 1] - standing[starts] >= STAND_S
    keep = (starts == 0) | (ends == last) | stopped
    starts, ends, stopped = starts[keep], ends[keep], stopped[keep]
    if not len(starts):
        return None
    idx = np.flatnonzero(runs_mask(starts, ends, len(t)))
    local = np.cumsum(runs_mask(starts, ends, len(t))) - 1  # sample -> its place among idx
    along = distance_from_speed(t, np.clip(speed, 0.0, None))
    return PitLook(
        t=t[idx],
        speed=speed[idx],
        along=along[idx],
        xy=None if xy is None else (xy[0][idx], xy[1][idx]),
        starts=local[starts],
        ends=local[ends],
        at_start=starts == 0,
        at_end=ends == last,
        stopped=stopped,
    )


def session_key(meta: LapMeta) -> Hashable:
    """Which laps are judged together: one session (its year, event and name where the source
    says them), else one source (a file, the simulator's circuit)."""
    if meta.event or meta.session:
        return (meta.year, meta.event, meta.session)
    return (meta.source, meta.circuit)


def judge_laps(laps: Sequence[Lap]) -> list[Lap]:
    """Every lap's status decided (``whole``, pit in/out where timing did not say, the lap
    time and its source; see the module's notes), session by session; the laps are returned
    (their ``meta`` replaced)."""
    laps = list(laps)
    traces = [lap_trace(lap) for lap in laps]
    paths = {i: _xy(lap.columns) for i, lap in enumerate(laps) if traces[i].racing}
    for lap, meta in zip(laps, judge_metas([lap.meta for lap in laps], traces, paths), strict=True):
        lap.meta = meta
    return laps


def judge_metas(
    metas: Sequence[LapMeta],
    traces: Sequence[LapTrace],
    paths: dict[int, tuple[np.ndarray, np.ndarray] | None],
) -> list[LapMeta]:
    """Laps' metadata judged from their :class:`LapTrace` s, session by session (stints
    numbered); ``paths``: the positions of laps that could give the racing line, by their
    place (others may be left out, as a stream keeps only a few)."""
    sessions: dict[Hashable, list[int]] = {}
    for k, meta in enumerate(metas):
        sessions.setdefault(session_key(meta), []).append(k)
    final = list(metas)
    for members in sessions.values():
        mine = [traces[k] for k in members]
        refs = SessionRefs.of(mine, {i: paths[k] for i, k in enumerate(members) if k in paths})
        judged = [judge(metas[k], traces[k], refs) for k in members]
        for k, meta in zip(members, number_stints(judged, mine), strict=True):
            final[k] = meta
    return final


def reference_length(covered: np.ndarray) -> float:
    """The session's lap length (m): the median distance of its longest laps (those within a
    quarter of its 90th percentile), so crashes, aborted runs and the odd long lap do not move
    it."""
    c = covered[np.isfinite(covered) & (covered > 0)]
    if not len(c):
        return np.nan
    top = float(np.percentile(c, 90))
    near = c[(c >= 0.75 * top) & (c <= 1.25 * top)]
    return float(np.median(near))


@dataclass(frozen=True)
class SessionRefs:
    """What a session's laps are judged against: its lap length (m), where its laps start
    (position units; None without positions or with one lap), its racing line, whether its
    laps cross the line fast, and how many laps it has."""

    length: float
    line: np.ndarray | None
    racing: _RacingLine | None
    fast_line: bool
    laps: int
    drs: bool = False

    @classmethod
    def of(
        cls, traces: Sequence[LapTrace], paths: dict[int, tuple[np.ndarray, np.ndarray] | None]
    ) -> SessionRefs:
        """The references of a session's laps' ``traces``; ``paths``: the positions of laps
        that could give the racing line (by their place in ``traces``; others may be left
        out, as a stream keeps only a few)."""
        covered = np.array([tr.covered_m for tr in traces])
        length = reference_length(covered)
        candidates = [(traces[i], xy) for i, xy in paths.items() if xy is not None]
        return cls(
            length=length,
            line=_line_point(list(traces), covered, length),
            racing=_RacingLine.of(candidates, length),
            fast_line=_crosses_line_fast(list(traces)),
            laps=len(traces),
            drs=any(trace.drs_changes for trace in traces),
        )


def judge(meta: LapMeta, trace: LapTrace, refs: SessionRefs) -> LapMeta:
    """A lap's metadata with its status decided against its session's references (whole, pit
    in/out where timing did not say, the lap time and its source)."""
    whole = _whole(trace, refs.length, refs.line, refs.laps)
    pit_in, pit_out = meta.pit_in, meta.pit_out
    if pit_in is None or pit_out is None:  # the trace says what the timing did not (OpenF1's
        seen_in, seen_out = _pit_from_trace(trace, refs.racing, refs.fast_line)  # laps: no in)
        pit_in = seen_in if pit_in is None else pit_in
        pit_out = seen_out if pit_out is None else pit_out
    lap_time, source = meta.lap_time, meta.lap_time_source
    if source is None and lap_time is None and whole and trace.longest_stand < GARAGE_S:
        lap_time, source = round(trace.duration, 3), "estimated"
    elif source is None and lap_time is not None:
        source = "timing"
    return replace(
        meta, whole=whole, pit_in=pit_in, pit_out=pit_out, lap_time=lap_time,
        lap_time_source=source, session_drs=refs.drs,
    )  # fmt: skip


def number_stints(metas: Sequence[LapMeta], traces: Sequence[LapTrace]) -> list[LapMeta]:
    """Each driver's stints where timing gave none: a new stint where the compound changes or
    where the car leaves the pits after standing in them (a pit stop, minutes in the garage);
    a drive through the pit lane (under a safety car) is none."""
    out = list(metas)
    by_driver: dict[str | None, list[int]] = {}
    for i, meta in enumerate(out):
        by_driver.setdefault(meta.driver, []).append(i)
    for members in by_driver.values():
        if any(out[i].stint is not None for i in members):
            continue
        members = sorted(members, key=lambda i: out[i].lap_number or 0)
        stint, previous = 1, None
        for i in members:
            meta = out[i]
            if previous is not None:
                before = out[previous]
                changed = meta.compound and before.compound and meta.compound != before.compound
                stood = traces[i].longest_stand >= STAND_S or (
                    bool(before.pit_in) and traces[previous].longest_stand >= STAND_S
                )
                stint += bool(changed or (meta.pit_out and stood))
            out[i] = replace(meta, stint=stint)
            previous = i
    return out


def _whole(trace: LapTrace, length: float, line: np.ndarray | None, laps: int) -> bool:
    """Whether the trace covers the circuit (see the module's notes)."""
    if np.isfinite(length) and laps > 1 and not trace.covered_m >= WHOLE_SHARE * length:
        return False
    if trace.start_xy is None or trace.end_xy is None:
        return True
    start, end = np.array(trace.start_xy), np.array(trace.end_xy)
    radius = LINE_RADIUS_SHARE * (length if np.isfinite(length) else trace.covered_m) * 10.0
    if line is None:  # a lap alone: its path must close on itself
        return bool(np.hypot(*(start - end)) <= radius)
    return bool(np.hypot(*(start - line)) <= radius and np.hypot(*(end - line)) <= radius)


def _line_point(traces: list[LapTrace], covered: np.ndarray, length: float) -> np.ndarray | None:
    """Where the session's laps start (the median start position of its long laps; position
    units), or None without positions or with one lap."""
    starts = [
        tr.start_xy
        for tr, c in zip(traces, covered, strict=True)
        if tr.start_xy is not None and c >= WHOLE_SHARE * length
    ]
    if len(traces) < 2 or not starts:
        return None
    return np.median(np.array(starts), axis=0)


def _crosses_line_fast(traces: list[LapTrace]) -> bool:
    """Whether the session's laps cross the line fast (it lies on a straight): only then does
    a lap starting or ending slowly say the pit lane, without positions."""
    speeds = [s for tr in traces for s in (tr.start_speed, tr.end_speed) if np.isfinite(s)]
    return len(speeds) >= 4 and float(np.median(speeds)) >= 1.5 * PIT_SPEED_KMH


@dataclass(frozen=True)
class _RacingLine:
    """The session's racing line: the fastest lap with positions that covers the lap length
    without stopping, as points :data:`PATH_STEP_M` apart along it (position units)."""

    x: np.ndarray
    y: np.ndarray
    length_m: float

    @classmethod
    def of(
        cls, candidates: list[tuple[LapTrace, tuple[np.ndarray, np.ndarray]]], length: float
    ) -> _RacingLine | None:
        """The line of the fastest candidate (a lap's trace and positions) that covers the
        lap length (within 3%); None without one."""
        best = None
        for trace, xy in candidates:
            near = np.isfinite(length) and abs(trace.covered_m - length) <= 0.03 * length
            if near and trace.racing and (best is None or trace.duration < best[0].duration):
                best = (trace, xy)
        if best is None:
            return None
        x, y = best[1]
        along = np.concatenate([[0.0], np.cumsum(np.hypot(np.diff(x), np.diff(y)))]) / 10.0
        points = np.arange(0.0, along[-1], PATH_STEP_M)
        return cls(np.interp(points, along, x), np.interp(points, along, y), float(along[-1]))

    def offsets(self, x: np.ndarray, y: np.ndarray, expected_m: np.ndarray) -> np.ndarray:
        """Each point's distance (m) to the line, searched within :data:`PATH_WINDOW_M` of
        where ``expected_m`` (metres into the lap) puts it (the lap is a loop)."""
        n = len(self.x)
        window = np.arange(-int(PATH_WINDOW_M / PATH_STEP_M), int(PATH_WINDOW_M / PATH_STEP_M) + 1)
        centre = np.rint(expected_m / self.length_m * n).astype(np.int64)
        out = np.empty(len(x))
        for a in range(0, len(x), 2048):  # bounded memory: a block of samples at a time
            idx = (centre[a : a + 2048, None] + window[None, :]) % n
            dx = self.x[idx] - x[a : a + 2048, None]
            dy = self.y[idx] - y[a : a + 2048, None]
            out[a : a + 2048] = np.sqrt((dx * dx + dy * dy).min(axis=1)) / 10.0
        return out


def _pit_from_trace(
    trace: LapTrace, racing: _RacingLine | None, fast_line: bool
) -> tuple[bool | None, bool | None]:
    """In- and out-lap from the trace (see the module's notes); None where it cannot tell."""
    look = trace.pit
    if look is None:
        slow_ends = trace.start_speed < PIT_SPEED_KMH or trace.end_speed < PIT_SPEED_KMH
        no_speed = not np.isfinite(trace.start_speed)
        return (None, None) if no_speed and not slow_ends else (False, False)
    # driving off the line (or on the limiter) for PIT_MIN_S: a car standing off the line (a
    # crash) is no pit stop; a pit lane met inside the lap has a stop in the box in it (a cut
    # through a run-off does not)
    moving = look.speed >= STANDSTILL_KMH
    if look.xy is not None and racing is not None:
        pit = np.zeros(len(look.t), dtype=bool)  # only the moving samples count: only they
        x, y = look.xy  # are measured against the line (minutes in the garage are not)
        pit[moving] = racing.offsets(x[moving], y[moving], look.along[moving]) > PIT_OFFSET_M
    elif look.xy is None and fast_line:
        pit = _limiter(look.t, look.speed)
    else:
        return None, None
    step = np.diff(look.t, append=look.t[-1])
    step[look.ends] = 0.0  # no time across the gap between two stretches
    seconds = np.concatenate([[0.0], np.cumsum((pit & moving) * step)])
    in_pit = seconds[look.ends + 1] - seconds[look.starts] >= PIT_MIN_S
    inside = bool((in_pit & look.stopped & ~look.at_start & ~look.at_end).any())
    pit_in = bool((in_pit & look.at_end).any()) or inside
    pit_out = bool((in_pit & look.at_start).any()) or inside
    return pit_in, pit_out


def _limiter(t: np.ndarray, speed: np.ndarray) -> np.ndarray:
    """Per sample: whether it sits on a speed-limiter plateau (within
    :data:`LIMITER_RANGE_KMH` of the speed :data:`PIT_MIN_S` before and after, above
    :data:`LIMITER_MIN_KMH`)."""
    before = np.interp(t - PIT_MIN_S / 2, t, speed)
    after = np.interp(t + PIT_MIN_S / 2, t, speed)
    flat = (np.abs(speed - before) <= LIMITER_RANGE_KMH) & (
        np.abs(speed - after) <= LIMITER_RANGE_KMH
    )
    return flat & (speed >= LIMITER_MIN_KMH)


def _speed(lap: Lap) -> np.ndarray | None:
    cols = lap.columns
    return cols["Speed"].astype(float, copy=False) if "Speed" in cols else None


def _xy(cols: dict[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray] | None:
    """The lap's X and Y (position units: 1/10 m), where it has them all finite."""
    if "X" not in cols or "Y" not in cols:
        return None
    x, y = cols["X"].astype(float, copy=False), cols["Y"].astype(float, copy=False)
    if not (np.isfinite(x).all() and np.isfinite(y).all()) or len(x) < 2:
        return None
    return x, y
