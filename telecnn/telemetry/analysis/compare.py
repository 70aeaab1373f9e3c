"""Comparing laps: their zones of one event type matched corner by corner, and the time gap
along the lap.

The first lap is the reference. Every other lap is put on its distance: where both laps have
X/Y positions, each sample takes the reference distance of the nearest point of the reference's
path (searched near where the lap's own distance puts it), so laps on different lines, or with
data that starts or ends off the line, line up corner by corner; else a lap keeps its own
distance (as fastf1's ``delta_time`` does). Each zone of the reference is then matched (one to
one, by overlap in distance) with a zone of every other lap.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import ndimage

from telecnn.errors import TelecnnError
from telecnn.telemetry.analysis.corners import label_corners, label_laps
from telecnn.telemetry.analysis.tables import format_table
from telecnn.telemetry.events.matching import match_type
from telecnn.telemetry.events.rules import rule_events
from telecnn.telemetry.laps.axes import median_interval
from telecnn.telemetry.laps.schema import POINT_EVENTS, Lap

#: Least overlap (IoU in distance) for two laps' zones to count as the same corner.
ZONE_MIN_IOU = 0.1
#: Spacing (m) of the distance grid the time gap is given on.
DELTA_STEP_M = 5.0
#: Spacing (m) of the reference path a lap's positions are matched to, and how far (m) from
#: where its own distance puts a sample the match is looked for.
PATH_STEP_M = 1.0
PATH_WINDOW_M = 250.0
#: Samples over which the offset from a lap's own distance is smoothed (median, then mean).
OFFSET_SMOOTHING = 9

ZONE_COLUMNS = (
    "zone",
    "corner",
    "label",
    "driver",
    "lap",
    "start_distance",
    "end_distance",
    "duration",
    "entry_speed",
    "min_speed",
    "exit_speed",
    "speed_lost",
    "resolution_m",
    "later_m",
    "min_speed_gain",
    "gap_s",
)


#: The speeds (km/h) a zone row carries where its events have them (braking and lifts: entry and
#: minimum; clipping: entry, exit and the speed lost).
ZONE_SPEEDS = ("entry_speed", "min_speed", "exit_speed", "speed_lost")


@dataclass
class Comparison:
    """What :func:`compare_laps` finds.

    ``zones``: one row per reference zone and lap, grouped by zone (:data:`ZONE_COLUMNS`;
    ``corner`` the corner the zone leads into where the circuit's corners are known, ``label``
    the lap's unique label, ``driver`` and ``lap`` its driver and lap number; distances along the
    reference lap; ``later_m`` how much later than the reference the lap starts the
    zone, ``min_speed_gain`` its minimum speed over the reference's, ``gap_s`` its time gap to
    the reference where the reference's zone starts; NaN where a lap has no matching zone).
    ``distance`` and ``gaps``: each lap's time gap to the reference (s, positive = behind)
    along the reference lap's distance (NaN where a lap has no data).
    """

    event: str
    labels: list[str]
    zones: pd.DataFrame
    distance: np.ndarray
    gaps: dict[str, np.ndarray]
    aligned: list[np.ndarray]  # each lap's samples' distance along the reference
    lap_times: list[float | None]
    events: list[pd.DataFrame]  # each lap's zones, distances along the reference

    def total_gap(self, label: str) -> float:
        """The lap's time over the reference's: from the lap times when both are known, else
        the gap at the last distance both laps' data cover."""
        k = self.labels.index(label)
        mine, ref = self.lap_times[k], self.lap_times[0]
        if mine and ref:
            return float(mine - ref)
        finite = self.gaps[label][np.isfinite(self.gaps[label])]
        return float(finite[-1]) if len(finite) else float("nan")

    def unmatched(self) -> dict[str, int]:
        """Per lap (the reference aside), how many reference zones it has no match for."""
        rows = self.zones[self.zones["label"] != self.labels[0]]
        missing = rows["start_distance"].isna().groupby(rows["label"], sort=False).sum()
        return {k: int(v) for k, v in missing.items()}


def unique_labels(laps: Sequence[Lap]) -> list[str]:
    """Each lap's label (``VER lap 12``), numbered ``#2``, ``#3``... where labels repeat."""
    seen: dict[str, int] = {}
    out = []
    for lap in laps:
        label = lap.meta.label()
        seen[label] = seen.get(label, 0) + 1
        out.append(label if seen[label] == 1 else f"{label} #{seen[label]}")
    return out


def _monotone_distance(lap: Lap) -> np.ndarray:
    """The lap's distance (m) from its start, never stepping back (merged telemetry can)."""
    d = lap.distance
    if not np.isfinite(d).all():
        raise TelecnnError(f"{lap.meta.label()} has no usable Distance or Speed to compare on")
    d = np.maximum.accumulate(d - d[0])
    if d[-1] <= 0:
        raise TelecnnError(f"{lap.meta.label()} does not move: nothing to compare")
    return d


def _has_positions(lap: Lap) -> bool:
    cols = lap.columns
    if "X" not in cols or "Y" not in cols:
        return False
    return bool(
        np.isfinite(cols["X"].astype(float)).all() and np.isfinite(cols["Y"].astype(float)).all()
    )


def on_reference(lap: Lap, reference: Lap, ref_distance: np.ndarray) -> np.ndarray:
    """The distance along ``reference`` of each of ``lap``'s samples (see the module's notes)."""
    own = _monotone_distance(lap)
    if not (_has_positions(lap) and _has_positions(reference)):
        return own
    length = ref_distance[-1]
    path = np.arange(0.0, length, PATH_STEP_M)
    px = np.interp(path, ref_distance, reference.columns["X"].astype(float))
    py = np.interp(path, ref_distance, reference.columns["Y"].astype(float))
    x, y = lap.columns["X"].astype(float), lap.columns["Y"].astype(float)
    expected = own * (length / own[-1])
    centre = np.clip(np.rint(expected / PATH_STEP_M).astype(np.int64), 0, len(path) - 1)
    offsets = np.arange(-int(PATH_WINDOW_M / PATH_STEP_M), int(PATH_WINDOW_M / PATH_STEP_M) + 1)
    candidates = (centre[:, None] + offsets[None, :]) % len(path)  # the lap is a loop
    dist2 = (px[candidates] - x[:, None]) ** 2 + (py[candidates] - y[:, None]) ** 2
    best = offsets[np.argmin(dist2, axis=1)]
    # before the line or past it the distance runs below 0 or above the lap length
    matched = path[centre] + best * PATH_STEP_M
    # the offset from the lap's own distance changes slowly (line, logging drift); the nearest
    # point jitters (noisy, interpolated positions): smooth the offset, not the distance
    offset = ndimage.median_filter(matched - expected, size=OFFSET_SMOOTHING, mode="nearest")
    offset = ndimage.uniform_filter1d(offset, size=OFFSET_SMOOTHING, mode="nearest")
    return np.maximum.accumulate(expected + offset)


def _on_reference_events(events: pd.DataFrame, lap: Lap, aligned: np.ndarray) -> pd.DataFrame:
    """``events`` with their distances on the reference (read at their times)."""
    t = lap.times
    out = events.copy()
    out["start_distance"] = np.interp(out["start_time"].to_numpy(dtype=float), t, aligned)
    out["end_distance"] = np.interp(out["end_time"].to_numpy(dtype=float), t, aligned)
    return out.reset_index(drop=True)


def _merged(ref: pd.DataFrame, zones: pd.DataFrame) -> set[int]:
    """Rows of ``zones`` that overlap two reference zones or more: two corners run together
    (a detector that missed the gap between them), never to be reported as one corner."""
    if ref.empty or zones.empty:
        return set()
    a0, a1 = zones["start_distance"].to_numpy(float), zones["end_distance"].to_numpy(float)
    b0, b1 = ref["start_distance"].to_numpy(float), ref["end_distance"].to_numpy(float)
    overlaps = (a0[:, None] < b1[None]) & (a1[:, None] > b0[None])
    return set(np.flatnonzero(overlaps.sum(axis=1) >= 2).tolist())


def _time_at(grid: np.ndarray, aligned: np.ndarray, times: np.ndarray) -> np.ndarray:
    """The lap's time (s from its start) at each grid distance; NaN where it has no data."""
    out = np.interp(grid, aligned, times)
    out[(grid < aligned[0]) | (grid > aligned[-1])] = np.nan
    return out


def _zone_pairs(ref: pd.DataFrame, zones: pd.DataFrame) -> dict[int, int]:
    """Reference zone -> the lap's zone of the same corner, where both laps know their corners
    (in order within a corner); else the best overlap in distance."""
    if "corner" in ref and "corner" in zones and ref["corner"].notna().all() and len(ref):
        pairs = {}
        for corner, mine in ref.groupby("corner", sort=False):
            theirs = zones.index[zones["corner"] == corner]
            pairs |= dict(zip(mine.index, theirs, strict=False))
        return pairs
    columns = ("start_distance", "end_distance")
    return dict(match_type(ref, zones, False, 0.0, columns, ZONE_MIN_IOU))


def pedal_braking(
    laps: Sequence[Lap], found: Sequence[pd.DataFrame], channels: Sequence[str] | None = None
) -> tuple[list[pd.DataFrame], list[str]]:
    """The events with braking zones from the ``Brake`` channel where a lap has it and the
    detector may read it (``channels``: None, all; exact by definition: the rule is the
    pedal's switch), the detector's own elsewhere; also each lap's source (``"Brake
    channel"`` or ``"detector"``)."""
    out, sources = [], []
    for lap, events in zip(laps, found, strict=True):
        cols = lap.columns
        if "Brake" in cols and (channels is None or "Brake" in channels):
            pedal = rule_events({c: cols[c] for c in _PEDAL_COLUMNS if c in cols})
            events = pd.concat([events[events["event"] != "braking"], pedal], ignore_index=True)
            events = events.sort_values("start_time", kind="stable").reset_index(drop=True)
            events = label_corners(events, lap)
            sources.append("Brake channel")
        else:
            sources.append("detector")
        out.append(events)
    return out, sources


def compare_found(
    laps: Sequence[Lap],
    found: Sequence[pd.DataFrame],
    event: str = "braking",
    channels: Sequence[str] | None = None,
) -> Comparison:
    """:func:`compare_laps` on a detector's events; braking points from the ``Brake`` channel
    where a lap has it (:func:`pedal_braking`), with each row's ``onset_from`` saying so; the
    zones labelled with their corners where the circuit's are known."""
    if event != "braking":
        return compare_laps(laps, label_laps(laps, found), event)
    found, sources = pedal_braking(laps, found, channels)
    comparison = compare_laps(laps, found, event)
    by_label = dict(zip(comparison.labels, sources, strict=True))
    comparison.zones["onset_from"] = comparison.zones["label"].map(by_label)
    return comparison


#: What the Brake rule reads: the pedal, and the distance and speed its zones carry.
_PEDAL_COLUMNS = ("Time", "Brake", "Distance", "Speed")


def compare_laps(
    laps: Sequence[Lap], found: Sequence[pd.DataFrame], event: str = "braking"
) -> Comparison:
    """Compare ``laps`` (the first is the reference) on their ``event`` zones and time gap.

    ``found`` holds each lap's events (from any detector); ``event`` is an interval type.
    """
    if len(laps) < 2:
        raise TelecnnError(f"comparing needs at least two laps, got {len(laps)}")
    if event in POINT_EVENTS:
        raise TelecnnError(f"compare on an interval event (braking, drs, ...), not {event}")
    labels = unique_labels(laps)
    ref_distance = _monotone_distance(laps[0])
    aligned = [ref_distance] + [on_reference(lap, laps[0], ref_distance) for lap in laps[1:]]
    grid = np.arange(0.0, ref_distance[-1], DELTA_STEP_M)
    t_ref = _time_at(grid, aligned[0], laps[0].times)
    gaps = {
        label: _time_at(grid, d, lap.times) - t_ref
        for label, lap, d in zip(labels, laps, aligned, strict=True)
    }
    zones = [
        _on_reference_events(ev[ev["event"] == event], lap, d)
        for ev, lap, d in zip(found, laps, aligned, strict=True)
    ]
    ref = zones[0]
    rows = []
    for label, lap_zones, lap in zip(labels, zones, laps, strict=True):
        step = median_interval(lap.times)
        merged = _merged(ref, lap_zones)
        pairs = {i: j for i, j in _zone_pairs(ref, lap_zones).items() if j not in merged}
        for i in range(len(ref)):
            row = {
                "zone": i + 1,
                "corner": ref["corner"].iloc[i] if "corner" in ref else None,
                "label": label,
                "driver": lap.meta.driver,
                "lap": lap.meta.lap_number,
            }
            if i in pairs:
                z = lap_zones.loc[pairs[i]]
                row |= {
                    "start_distance": z["start_distance"],
                    "end_distance": z["end_distance"],
                    "duration": z["end_time"] - z["start_time"],
                    **{name: z.get(name, np.nan) for name in ZONE_SPEEDS},
                    # one sample's travel at the onset: how exact a braking point can be
                    "resolution_m": z.get("entry_speed", np.nan) / 3.6 * step,
                }
            rows.append(row)
    table = pd.DataFrame(rows, columns=list(ZONE_COLUMNS))
    reference = table[table["label"] == labels[0]].set_index("zone")
    by_zone = table["zone"]
    table["later_m"] = table["start_distance"] - by_zone.map(reference["start_distance"])
    table["min_speed_gain"] = table["min_speed"] - by_zone.map(reference["min_speed"])
    at = by_zone.map(reference["start_distance"]).to_numpy(dtype=float)
    table["gap_s"] = [
        float(np.interp(a, grid, gaps[label])) for a, label in zip(at, table["label"], strict=True)
    ]
    # each corner's rows together, the laps in their order within it
    table = table.sort_values("zone", kind="stable").reset_index(drop=True)
    times = [lap.meta.lap_time for lap in laps]
    return Comparison(event, labels, table, grid, gaps, aligned, times, zones)


#: The zone table's columns as printed: short, each with its unit.
TEXT_HEADERS = {
    "label": "lap",
    "start_distance": "start_m",
    "end_distance": "end_m",
    "duration": "dur_s",
    "entry_speed": "entry_kmh",
    "min_speed": "min_kmh",
    "exit_speed": "exit_kmh",
    "speed_lost": "lost_kmh",
    "resolution_m": "+/-m",
    "min_speed_gain": "min_gain_kmh",
}


def format_comparison(comparison: Comparison) -> str:
    """Each lap's gap over the lap, then the zone table: per zone and lap its start, speeds
    and differences to the reference."""
    ref = comparison.labels[0]
    lines = [
        f"{label} vs {ref}: {comparison.total_gap(label):+.3f} s over the lap"
        for label in comparison.labels[1:]
    ]
    z = comparison.zones
    if z.empty:
        return "\n".join([*lines, f"  the reference lap has no {comparison.event} zones"])
    shown = z.drop(columns=["driver", "lap"]).rename(columns=TEXT_HEADERS)
    if shown["corner"].isna().all():
        shown = shown.drop(columns="corner")
    else:
        shown = shown.drop(columns="zone")
    shown = shown.dropna(axis=1, how="all")  # speeds the event type does not have
    lines.append(format_table(shown, {"gap_s": 3, "dur_s": 2}))
    missing = {k: v for k, v in comparison.unmatched().items() if v}
    if missing:
        lines.append(
            "  no matching zone: "
            + ", ".join(f"{label} {count}" for label, count in missing.items())
        )
    return "\n".join(lines)
