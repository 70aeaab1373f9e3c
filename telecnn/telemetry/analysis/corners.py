"""Corner numbers on laps: place a circuit's corners (:mod:`telecnn.telemetry.sources.corners`)
on each lap, and give each braking zone, lift and clipping run its corner.

A corners table has one row per corner: ``corner`` (its label, ``T4`` or ``T10A``), ``number``,
``letter``, and where it is: ``X``/``Y`` (the position data's units) and/or ``Distance`` (metres
along fastf1's reference lap). On a lap with positions each corner is put at the nearest point of
the lap's path (a corner a partial lap does not pass gets none); without positions its
``Distance`` is used as it is. Each braking zone, lift and clipping run is labelled with the
corner it slows the car for (:func:`zone_corners`).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from telecnn.errors import TelecnnError
from telecnn.telemetry.analysis.path_geometry import nearest_on_path
from telecnn.telemetry.laps.schema import Lap

#: The event types that get a corner: the corner each slows the car for.
CORNER_EVENTS: tuple[str, ...] = ("braking", "lift_coast", "clipping")
#: How far (m) past an event's end the lowest speed it leads to is looked for: a braking zone
#: ends near its corner; a lift or a clipping run leads into a braking zone first.
LOOKAHEAD_M: dict[str, float] = {"braking": 150.0, "lift_coast": 400.0, "clipping": 400.0}
#: A corner within this many metres of that lowest speed is the one the event slows for.
CORNER_TOLERANCE_M = 100.0
#: A corner further than this (m) from a lap's path is not on it (a partial lap's missing
#: part); further than :data:`OFF_TRACK_SHARE` of the track's size from the session's whole
#: laps, the corners are another circuit's.
OFF_PATH_M = 60.0
OFF_TRACK_SHARE = 0.05


def corner_distances(lap: Lap, corners: pd.DataFrame) -> np.ndarray:
    """Each corner's distance (m) along ``lap``: at the nearest point of the lap's path where
    both have positions (NaN for a corner the lap does not pass: a partial lap), else the
    corners' own ``Distance``. Raises where neither serves."""
    placed = _placed(lap, corners)
    if placed is not None:
        at, gap = placed
        return np.where(gap <= OFF_PATH_M, at, np.nan)
    known = corners["Distance"].to_numpy(float)
    if np.isfinite(known).all():
        return known
    raise TelecnnError(
        f"cannot place the corners on {lap.meta.label()}: the lap has no X/Y positions and the "
        "corners no Distance"
    )


def _placed(lap: Lap, corners: pd.DataFrame) -> tuple[np.ndarray, np.ndarray] | None:
    """Each corner's distance along the lap and its gap (m) to the lap's path, where both have
    positions."""
    data = lap.columns
    cx, cy = corners["X"].to_numpy(float), corners["Y"].to_numpy(float)
    if not ("X" in data and "Y" in data and np.isfinite(cx).all() and np.isfinite(cy).all()):
        return None
    x, y = data["X"].astype(float), data["Y"].astype(float)
    ok = np.isfinite(x) & np.isfinite(y)
    if ok.sum() < 2:
        return None
    return nearest_on_path(x[ok], y[ok], lap.distance[ok], cx, cy)


def check_corners(laps: Sequence[Lap], corners: pd.DataFrame, where: str) -> None:
    """Refuse corners that are not on the session's whole laps (another circuit's, or
    positions in other units), naming ``where`` (the corners file). Laps that do not cover the
    circuit are not asked; without whole laps with positions, the longest lap is."""
    with_xy = [lap for lap in laps if _placed(lap, corners[:1]) is not None]
    whole = [lap for lap in with_xy if lap.meta.whole is not False]
    judge = whole[:3] or sorted(with_xy, key=lambda lap: -float(lap.distance[-1]))[:1]
    for lap in judge:
        x, y = lap.columns["X"].astype(float), lap.columns["Y"].astype(float)
        _, gap = _placed(lap, corners)  # type: ignore[misc]
        size = float(np.hypot(np.nanmax(x) - np.nanmin(x), np.nanmax(y) - np.nanmin(y))) / 10
        if size > 0 and float(np.median(gap)) > OFF_TRACK_SHARE * size:
            raise TelecnnError(
                f"the corners of {where} are not on {lap.meta.label()}'s path (a median "
                f"{np.median(gap):.0f} m away): corners of another circuit?"
            )


def zone_corners(
    kinds: np.ndarray, starts: np.ndarray, ends: np.ndarray, lap: Lap, at: np.ndarray,
    labels: np.ndarray,
) -> np.ndarray:  # fmt: skip
    """The corner each event (its type and start and end distances) slows the car for: the
    corner nearest the lowest speed the event leads to (:func:`slowest_points`), where one lies
    within :data:`CORNER_TOLERANCE_M` of it; else the first corner at or after the event's end
    (past the last corner, the first: the next lap's). ``at``: the corners' distances on the
    lap (NaN: a corner it does not pass, never given)."""
    known = np.isfinite(at)
    at, labels = at[known], labels[known]
    out = np.full(len(kinds), None, dtype=object)
    if not len(at) or not len(kinds):
        return out
    order = np.argsort(at, kind="stable")
    at, labels = at[order], labels[order]
    starts, ends = np.asarray(starts, dtype=float), np.asarray(ends, dtype=float)
    slowest = np.full(len(kinds), np.nan)
    if "Speed" in lap.columns:
        speed = lap.columns["Speed"].astype(float)
        slowest = slowest_points(lap.distance, speed, np.asarray(kinds), starts, ends)
    near = np.argmin(np.abs(at[None, :] - slowest[:, None]), axis=1)
    close = np.abs(at[near] - slowest) <= CORNER_TOLERANCE_M  # False where no slowest point
    after = np.searchsorted(at, ends, side="left")
    after[after >= len(at)] = 0
    out[:] = np.where(close, labels[near], labels[after])
    out[~np.isfinite(ends)] = None
    return out


#: Speed (km/h) a car gains over its lowest before a slowing event's dip counts as over.
RISE_KMH = 2.0


def slowest_points(
    distance: np.ndarray, speed: np.ndarray, kinds: np.ndarray, starts: np.ndarray,
    ends: np.ndarray,
) -> np.ndarray:  # fmt: skip
    """Where (m) the lap is slowest in the dip each event leads to (NaN where its stretch holds
    no sample): from the event's start until the car speeds up again after its end (by
    :data:`RISE_KMH`), at most :data:`LOOKAHEAD_M` past the end; for a clipping run (flat out
    until the braking after it) the lowest speed within that look-ahead."""
    look = np.zeros(len(kinds))
    for kind, metres in LOOKAHEAD_M.items():
        look[kinds == kind] = metres
    reach = np.fmax.accumulate(distance)  # searched in order where the distance steps back
    lo = np.searchsorted(reach, starts, side="left")
    hi = np.searchsorted(reach, ends + look, side="right")
    valid = (hi > lo) & np.isfinite(starts) & np.isfinite(ends)
    hi = np.where(valid, hi, lo + 1)  # one sample: no window wider than a real one
    j = np.minimum(np.searchsorted(reach, ends, side="right"), hi - 1)
    dip = kinds != "clipping"
    # a dip lasts while each next sample is at most RISE_KMH above the lowest so far
    lowest = _windows(speed, lo, j - lo + 1).min(axis=1)
    nxt = _windows(speed, j + 1, hi - j - 1)  # +inf past the look-ahead: the dip ends there
    before = np.minimum.accumulate(np.column_stack([lowest, nxt[:, :-1]]), axis=1)
    stop = np.argmax(~(nxt <= before + RISE_KMH), axis=1)
    end = np.where(dip, j + 1 + stop, hi)
    slowest = lo + np.argmin(_windows(speed, lo, end - lo), axis=1)
    return np.where(valid, distance[np.minimum(slowest, len(distance) - 1)], np.nan)


def _windows(values: np.ndarray, starts: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """Rows ``values[starts[k] : starts[k] + lengths[k]]``, padded with +inf to one more than
    the longest (every row ends in +inf)."""
    width = int(lengths.max(initial=0)) + 1
    index = starts[:, None] + np.arange(width)[None, :]
    inside = np.arange(width)[None, :] < lengths[:, None]
    return np.where(inside, values[np.clip(index, 0, len(values) - 1)], np.inf)


def label_corners(events: pd.DataFrame, lap: Lap) -> pd.DataFrame:
    """``events`` with a ``corner`` column: the corner each braking zone, lift and clipping run
    slows the car for (:func:`zone_corners`; other types: empty). Unchanged when the lap has
    no corners."""
    if lap.corners is None:
        return events
    corner = np.full(len(events), None, dtype=object)
    if not len(events):
        return events.assign(corner=corner)
    kinds = events["event"].to_numpy()
    leads = np.isin(kinds, CORNER_EVENTS)
    if leads.any():
        at = corner_distances(lap, lap.corners)
        names = lap.corners["corner"].to_numpy(object)
        starts = events["start_distance"].to_numpy(float)[leads]
        ends = events["end_distance"].to_numpy(float)[leads]
        corner[leads] = zone_corners(kinds[leads], starts, ends, lap, at, names)
    return events.assign(corner=corner)


def with_corners(laps: list[Lap], corners: pd.DataFrame, where: str = "the corners") -> list[Lap]:
    """The laps, each given these corners, checked first against the session's whole laps
    (:func:`check_corners`: a refusal changes no lap)."""
    check_corners(laps, corners, where)
    for lap in laps:
        lap.corners = corners
    return laps


def label_laps(laps: Sequence[Lap], found: Sequence[pd.DataFrame]) -> list[pd.DataFrame]:
    """Each lap's events labelled with their corners (:func:`label_corners`), where its
    circuit's corners are known: what a caller applies after any detector."""
    return [label_corners(events, lap) for lap, events in zip(laps, found, strict=True)]
