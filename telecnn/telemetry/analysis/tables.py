"""Tables of laps and their events: one frame of many laps' events (written as a file), and
readable text tables for the CLI."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from telecnn.telemetry.laps.schema import EVENT_COLUMNS, SIM_ONLY_EVENTS, Lap, taxonomy_order
from telecnn.telemetry.laps.status import STATUSES, lap_status
from telecnn.telemetry.sources.files import write_frame
from telecnn.words import count


def lap_header(lap: Lap) -> str:
    """One line about a lap: who, which lap, lap time, samples and rate (its notes are summed
    up per file on stderr: :func:`telecnn.telemetry.laps.notes.notes_summary`)."""
    m = lap.meta
    t = lap.times
    span = float(t[-1] - t[0]) if len(t) > 1 else 0.0
    rate = (len(t) - 1) / span if span > 0 else 0.0
    where = "/".join(str(x) for x in (m.year, m.event, m.session) if x)
    lap_time = f"{m.lap_time:.3f} s" if m.lap_time else "n/a"
    return (
        f"{m.label()}"
        + (f" ({where})" if where else "")
        + (f": lap time {lap_time}, {len(lap)} samples at {rate:.1f} Hz, source {m.source}")
    )


def session_name(laps: Sequence[Lap]) -> str:
    """What the laps are from: ``2025 Chinese Grand Prix R``, a file's name, or the simulator's
    circuit."""
    m = laps[0].meta if laps else None
    if m is None:
        return "no laps"
    where = " ".join(str(x) for x in (m.year, m.event, m.session) if x)
    if m.event or m.session:
        return where
    year = f" ({m.year})" if m.year else ""
    if m.circuit:
        return f"simulated {m.circuit}{year}"
    sources = list(dict.fromkeys(lap.meta.source.removeprefix("file:") for lap in laps))
    return (sources[0] if len(sources) == 1 else f"{len(sources)} files") + year


def lap_title(lap: Lap) -> str:
    """A figure's title: who, which lap, its lap time and where it is from."""
    m = lap.meta
    time = f", {_lap_time_text(m.lap_time)}" if m.lap_time else ""
    return f"{m.label()}{time} - {session_name([lap])}"


def _lap_time_text(seconds: float) -> str:
    minutes, rest = divmod(float(seconds), 60.0)
    return f"{int(minutes)}:{rest:06.3f}" if minutes else f"{rest:.3f} s"


def format_events(events: pd.DataFrame, max_rows: int | None = None) -> str:
    """Events as an aligned table (times in s, distances in m, speeds in km/h)."""
    if len(events) == 0:
        return "  (no events)"
    cols = list(EVENT_COLUMNS)
    if "corner" in events and events["corner"].notna().any():
        cols.insert(1, "corner")
    speeds = ("entry_speed", "min_speed", "exit_speed", "speed_lost")
    cols += [c for c in speeds if c in events and events[c].notna().any()]
    table = events[cols].copy()
    if "corner" in table:
        table["corner"] = table["corner"].fillna("")
    if max_rows is not None and len(table) > max_rows:
        table = table.head(max_rows)
    text = table.to_string(
        index=False, float_format=lambda v: f"{v:.1f}", na_rep="", justify="right"
    )
    extra = (
        ""
        if max_rows is None or len(events) <= max_rows
        else f"\n  ... {len(events) - max_rows} more"
    )
    return "\n".join("  " + line for line in text.splitlines()) + extra


def count_line(events: pd.DataFrame, marked: frozenset[str] = frozenset()) -> str:
    """``braking 11, drs 3, ...`` in taxonomy order; types in ``marked`` get a ``*``."""
    names, counts = np.unique(events["event"].to_numpy(dtype=str), return_counts=True)
    by_name = dict(zip(names.tolist(), counts.tolist(), strict=True))
    return (
        ", ".join(f"{e} {by_name[e]}{'*' if e in marked else ''}" for e in taxonomy_order(by_name))
        or "no events"
    )


#: The footnote of a ``*``: events on a real lap that no channel confirms.
UNCONFIRMED = (
    "* no channel confirms wheelspin or lock-ups on a real lap: the CNN learnt them from "
    "simulated laps only (drop the doubtful ones with --min-confidence)"
)


def unconfirmed(lap: Lap) -> frozenset[str]:
    """The types whose events on ``lap`` nothing can check: the simulator-only ones, on a
    real lap (a simulated lap carries its own truth)."""
    return frozenset() if lap.truth is not None else SIM_ONLY_EVENTS


#: The types whose seconds per lap tell a lap's energy story (2026 cars above all).
ENERGY_TYPES: tuple[str, ...] = ("clipping", "lift_coast")


def seconds_of(events: pd.DataFrame, event: str) -> float:
    """Seconds a lap spends in events of one type (their durations summed)."""
    if not len(events):
        return 0.0
    mine = events["event"].to_numpy() == event
    span = events["end_time"].to_numpy(dtype=float) - events["start_time"].to_numpy(dtype=float)
    return float(span[mine].sum())


def energy_line(events: pd.DataFrame) -> str:
    """``clipping 4.8 s, lift_coast 0.6 s``: the lap's seconds of each :data:`ENERGY_TYPES`."""
    return ", ".join(f"{e} {seconds_of(events, e):.1f} s" for e in ENERGY_TYPES)


def laps_table(
    laps: Sequence[Lap],
    found: Sequence[pd.DataFrame],
    full: bool = True,
    max_rows: int | None = None,
    energy: bool = True,
) -> str:
    """Per lap a header, its event counts, (``energy``) its seconds of clipping and
    lift-and-coast and (``full``) its events; else one line a lap."""
    pairs = list(zip(laps, found, strict=True))
    if full:
        text = "\n".join(
            f"{lap_header(lap)}\n  events: {count_line(events, unconfirmed(lap))}\n"
            + (f"  energy: {energy_line(events)}\n" if energy else "")
            + format_events(events, max_rows=max_rows)
            for lap, events in pairs
        )
    else:
        text = "\n".join(
            f"{lap.meta.label():<16} {lap_status(lap.meta):<8} "
            f"{count_line(events, unconfirmed(lap))}"
            + (f" | {energy_line(events)}" if energy else "")
            for lap, events in pairs
        )
    doubtful = any(
        len(events) and events["event"].isin(unconfirmed(lap)).any() for lap, events in pairs
    )
    return text + (f"\n{UNCONFIRMED}" if doubtful else "")


def drivers_block(laps: Sequence[Lap], found: Sequence[pd.DataFrame], energy: bool = True) -> str:
    """Many laps in a few lines a driver: laps by status, event counts over all laps and (with
    ``energy``) the median seconds of clipping and lift-and-coast of a clean lap."""
    by_driver: dict[str, list[int]] = {}
    for k, lap in enumerate(laps):
        by_driver.setdefault(lap.meta.driver or lap.meta.label(), []).append(k)
    lines = []
    for driver, rows in by_driver.items():
        statuses = pd.Series([lap_status(laps[k].meta) for k in rows])
        held = ", ".join(
            f"{n} {s}"
            for s, n in statuses.value_counts().reindex(STATUSES).dropna().astype(int).items()
        )
        events = pd.concat([found[k] for k in rows], ignore_index=True)
        marked = frozenset().union(*(unconfirmed(laps[k]) for k in rows))
        lines.append(f"{driver}: {count(len(rows), 'lap')} ({held})")
        lines.append(f"  events: {count_line(events, marked)}")
        clean = [found[k] for k in rows if lap_status(laps[k].meta) == "clean"]
        if energy and clean:
            medians = ", ".join(
                f"{e} {np.median([seconds_of(ev, e) for ev in clean]):.1f} s" for e in ENERGY_TYPES
            )
            lines.append(f"  energy per clean lap (median): {medians}")
    doubtful = any(
        len(ev) and ev["event"].isin(unconfirmed(lap)).any()
        for lap, ev in zip(laps, found, strict=True)
    )
    return "\n".join(lines) + (f"\n{UNCONFIRMED}" if doubtful else "")


def text_cells(table: pd.DataFrame, digits: dict[str, int] | None = None) -> pd.DataFrame:
    """The table as strings: floats to ``digits[column]`` decimals (default 1), other values
    as they print, ``-`` for what is missing."""
    digits = digits or {}
    out = table.astype(object).copy()
    for name in table.columns:
        column = table[name]
        if pd.api.types.is_float_dtype(column):
            places = digits.get(name, 1)
            out[name] = [("-" if pd.isna(v) else f"{v:.{places}f}") for v in column]
        else:
            out[name] = ["-" if v is None or v is pd.NA or v != v else str(v) for v in column]
    return out


def format_table(table: pd.DataFrame, digits: dict[str, int] | None = None) -> str:
    """A table as aligned, indented text (:func:`text_cells`)."""
    text = text_cells(table, digits).to_string(index=False)
    return "\n".join("  " + line for line in text.splitlines())


#: What each event row of many laps carries of its lap, where any lap has it.
LAP_CONTEXT: tuple[str, ...] = ("status", "lap_time", "compound", "stint", "tyre_life", "team")


def all_events(
    laps: Sequence[Lap], found: Sequence[pd.DataFrame], keys: bool = False
) -> pd.DataFrame:
    """One frame of every lap's events; ``driver`` and ``lap`` columns when there are several
    (or ``keys``), with what is known of each event's lap (:data:`LAP_CONTEXT`: its status,
    lap time, compound, stint, tyre life, team)."""
    if len(laps) == 1 and not keys:
        return found[0].reset_index(drop=True)
    table = pd.concat(list(found), ignore_index=True) if found else pd.DataFrame()
    counts = [len(events) for events in found]
    numbers = [lap.meta.lap_number for lap in laps]
    lap_column = pd.Series(np.repeat(np.array(numbers, dtype=object), counts))
    if all(n is not None for n in numbers):
        lap_column = lap_column.astype(np.int64)
    who = [lap.meta.driver or lap.meta.circuit or lap.meta.source for lap in laps]
    table.insert(0, "lap", lap_column)
    table.insert(0, "driver", np.repeat(np.array(who, dtype=object), counts))
    for name in LAP_CONTEXT:
        values = [
            lap_status(lap.meta) if name == "status" else getattr(lap.meta, name) for lap in laps
        ]
        if any(v is not None for v in values):
            column = pd.Series(np.repeat(np.array(values, dtype=object), counts))
            if name in ("lap_time", "tyre_life"):
                column = column.astype(float)
            elif name == "stint":
                column = column.astype("Int64")
            table[name] = column
    return table


def write_events(
    path: str | os.PathLike[str], laps: Sequence[Lap], found: Sequence[pd.DataFrame]
) -> Path:
    """Write all events atomically as CSV, JSON (a list of records) or Parquet."""
    return write_frame(all_events(laps, found), path)
