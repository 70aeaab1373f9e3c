"""Comparing laps: their zones of one event type matched corner by corner, and the time gap
along the lap.

The first lap is the reference. Every other lap is put on its distance
(:mod:`.alignment`: each sample projected onto the reference's path where both have positions),
so laps on different lines, or with data that starts or ends off the line, line up corner by
corner. The time gap along the lap ends at the laps' lap-time difference where both have one
(the gap is anchored to it: what the alignment leaves is spread along the lap). Each zone of
the reference is then matched (one to one, by corner, else by overlap in distance) with a zone
of every other lap.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from telecnn.errors import TelecnnError
from telecnn.telemetry.analysis.alignment import ReferencePath, monotone_distance, on_reference
from telecnn.telemetry.analysis.corners import label_laps
from telecnn.telemetry.analysis.tables import format_table
from telecnn.telemetry.events.matching import match_type
from telecnn.telemetry.events.rules import rule_events
from telecnn.telemetry.events.table import (
    MEASURED,
    measured_samples,
    onset_entry,
    segment_starts,
)
from telecnn.telemetry.laps.schema import POINT_EVENTS, Lap

#: Least overlap (IoU in distance) for two laps' zones to count as the same corner.
ZONE_MIN_IOU = 0.1
#: Spacing (m) of the distance grid the time gap is given on.
DELTA_STEP_M = 5.0

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


def _on_reference_events(events: pd.DataFrame, lap: Lap, aligned: np.ndarray) -> pd.DataFrame:
    """``events`` with their distances on the reference (read at their times)."""
    t = lap.times
    out = events.copy()
    out["start_distance"] = np.interp(out["start_time"].to_numpy(dtype=float), t, aligned)
    out["end_distance"] = np.interp(out["end_time"].to_numpy(dtype=float), t, aligned)
    return out.reset_index(drop=True)


def _merged(ref: pd.DataFrame, zones: pd.DataFrame) -> set[int]:
    """Rows of ``zones`` that overlap reference zones of two corners or more: two corners run
    together (a detector that missed the gap between them), never to be reported as one
    corner. Where the corners are not known, two reference zones stand for two corners; where
    they are, two zones of one corner are one corner braked twice (the pedal let off and
    pressed again), which a zone held through still matches."""
    if ref.empty or zones.empty:
        return set()
    a0, a1 = zones["start_distance"].to_numpy(float), zones["end_distance"].to_numpy(float)
    b0, b1 = ref["start_distance"].to_numpy(float), ref["end_distance"].to_numpy(float)
    overlaps = (a0[:, None] < b1[None]) & (a1[:, None] > b0[None])
    corners = ref["corner"].to_numpy() if _knows_corners(ref) else np.arange(len(ref))
    return {k for k, row in enumerate(overlaps) if len(set(corners[row])) >= 2}


def _knows_corners(ref: pd.DataFrame) -> bool:
    """Whether every reference zone has its corner."""
    return "corner" in ref and len(ref) > 0 and bool(ref["corner"].notna().all())


def anchored(gap: np.ndarray, grid: np.ndarray, lap: Lap, reference: Lap) -> np.ndarray:
    """The gap along the lap, ending at the two laps' lap-time difference where both are
    whole and timed: what is left at the line (the traces' own start and end against the
    timing's) is spread along the lap by distance, so the lap total is exact."""
    ends = np.isfinite(gap)
    timed = lap.meta.lap_time is not None and reference.meta.lap_time is not None
    whole = lap.meta.whole is not False and reference.meta.whole is not False
    if not (timed and whole and ends.any()) or not np.isfinite(gap[ends][-1]):
        return gap
    last = int(np.flatnonzero(ends)[-1])
    if grid[last] < 0.95 * grid[-1]:  # the lap does not reach the line on the grid
        return gap
    left = (lap.meta.lap_time - reference.meta.lap_time) - gap[last]
    return gap + left * grid / grid[last]


def onset_resolution(lap: Lap, start_times: np.ndarray) -> np.ndarray:
    """How exact each zone's onset is (m): the car's travel from the zone's entry sample (the
    last measured one before it: :func:`~telecnn.telemetry.events.table.onset_entry`) to its
    first, between which the pedal went on. Merged telemetry's position samples measure no
    pedal, so there it spans the car data's interval, not the merged one."""
    times, distance = lap.times, lap.distance
    starts = np.clip(np.searchsorted(times, start_times - 1e-9), 0, len(times) - 1)
    measured = measured_samples(lap.columns)
    if measured is None:
        measured = np.ones(len(times), dtype=bool)
    entry = onset_entry(measured, times, starts, segment_starts(None, len(times)))
    return distance[starts] - distance[entry]


def _time_at(grid: np.ndarray, aligned: np.ndarray, times: np.ndarray) -> np.ndarray:
    """The lap's time (s from its start) at each grid distance; NaN where it has no data."""
    out = np.interp(grid, aligned, times)
    out[(grid < aligned[0]) | (grid > aligned[-1])] = np.nan
    return out


def _zone_pairs(ref: pd.DataFrame, zones: pd.DataFrame) -> dict[int, int]:
    """Reference zone -> the lap's zone of the same corner, where both laps know their corners
    (in order within a corner); else the best overlap in distance."""
    if _knows_corners(ref) and "corner" in zones:
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
            pedal_cols = {c: cols[c] for c in _PEDAL_COLUMNS if c in cols}
            measured = measured_samples(cols)  # the lap's, not the four columns'
            if measured is not None:
                pedal_cols[MEASURED] = measured
            pedal = rule_events(pedal_cols)
            events = pd.concat([events[events["event"] != "braking"], pedal], ignore_index=True)
            events = events.sort_values("start_time", kind="stable").reset_index(drop=True)
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
    comparison = compare_laps(laps, label_laps(laps, found), event)  # pedal's and detector's
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
    ref_distance = monotone_distance(laps[0])
    path = ReferencePath.of(laps[0], ref_distance)
    aligned = [ref_distance] + [on_reference(x, laps[0], ref_distance, path) for x in laps[1:]]
    grid = np.arange(0.0, ref_distance[-1], DELTA_STEP_M)
    t_ref = _time_at(grid, aligned[0], laps[0].times)
    gaps = {
        label: anchored(_time_at(grid, d, lap.times) - t_ref, grid, lap, laps[0])
        for label, lap, d in zip(labels, laps, aligned, strict=True)
    }
    zones = [
        _on_reference_events(ev[ev["event"] == event], lap, d)
        for ev, lap, d in zip(found, laps, aligned, strict=True)
    ]
    ref = zones[0]
    rows = []
    for label, lap_zones, lap in zip(labels, zones, laps, strict=True):
        resolution = onset_resolution(lap, lap_zones["start_time"].to_numpy(dtype=float))
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
                    "resolution_m": resolution[pairs[i]],
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


#: What the data supports: a braking point is known to the travel since the last measured
#: sample before it (``+/-m``: some 20 m at 3.7 Hz and 300 km/h, in fastf1's merged
#: telemetry the car data's 20-30 m, not its position samples' 10 m), so distances print in
#: whole metres; laps line up to about 2 m, a few hundredths of a second at speed, so gaps
#: print to 0.01 s.
PRINTED_DIGITS = {"start_m": 0, "end_m": 0, "later_m": 0, "+/-m": 0, "dur_s": 2, "gap_s": 2}
PRECISION_NOTE = (
    "  distances to the metre, each braking point known to +/-m (the travel since the last "
    "measured sample before it); gaps to 0.01 s"
)


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
    lines.append(format_table(shown, PRINTED_DIGITS))
    lines.append(PRECISION_NOTE)
    missing = {k: v for k, v in comparison.unmatched().items() if v}
    if missing:
        lines.append(
            "  no matching zone: "
            + ", ".join(f"{label} {count}" for label, count in missing.items())
        )
    return "\n".join(lines)
