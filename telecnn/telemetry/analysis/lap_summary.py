"""A race in one table: per driver and lap, its time, braking, energy (lift-and-coast and
clipping), DRS, shifts and speeds, with what timing says of tyres and pits; and per driver
(and stint) the medians over laps.

>>> from telecnn.telemetry.analysis.lap_summary import summarize
>>> table = summarize(laps)                   # runs the shipped CNN; or summarize(laps, "rules")
>>> driver_medians(table)
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from telecnn.telemetry.analysis.tables import format_table, seconds_of
from telecnn.telemetry.events.rules import channel_varies
from telecnn.telemetry.laps.schema import Lap, supported_events
from telecnn.telemetry.laps.status import STATUSES, lap_status

#: The per-lap columns, in order; timing columns no lap has are left out.
SUMMARY_COLUMNS: tuple[str, ...] = (
    "driver",
    "lap",
    "status",
    "lap_time",
    "lap_time_from",
    "braking_zones",
    "braking_s",
    "lift_coast_s",
    "clipping_s",
    "drs_s",
    "upshifts",
    "downshifts",
    "min_speed",
    "top_speed",
)
#: What timing adds where a source has it (fastf1's ``Laps``, lap exports).
TIMING_COLUMNS: tuple[str, ...] = (
    "team",
    "compound",
    "tyre_life",
    "stint",
    "pit_in",
    "pit_out",
    "track_status",
)
#: The columns that medians are taken of.
MEDIAN_COLUMNS: tuple[str, ...] = ("lap_time", *SUMMARY_COLUMNS[5:])


def lap_row(
    lap: Lap, events: pd.DataFrame, channels: Sequence[str] | None = None, drs: bool = True
) -> dict:
    """One lap's summary (:data:`SUMMARY_COLUMNS` and the timing it has); NaN for what the
    channels read cannot show (``--channels Speed``: no clipping, no DRS) and for DRS where
    ``drs`` is False (a session without it: :func:`drs_in_use`)."""
    read = [c for c in lap.channels if channels is None or c in channels]
    shown = set(supported_events(read)) - (set() if drs else {"drs"})
    kinds = events["event"] if len(events) else pd.Series(dtype=object)

    def seconds(event: str) -> float:
        return seconds_of(events, event) if event in shown else np.nan

    def count(event: str) -> float:
        return float((kinds == event).sum()) if event in shown else np.nan

    cols = lap.columns
    speed = cols["Speed"].astype(float) if "Speed" in cols else np.array([np.nan])
    meta = lap.meta
    row = {
        "driver": meta.driver or meta.circuit or meta.source.removeprefix("file:"),
        "lap": meta.lap_number,
        "status": lap_status(meta),
        "lap_time": np.nan if meta.lap_time is None else float(meta.lap_time),
        "lap_time_from": meta.lap_time_source if meta.lap_time is not None else None,
        "braking_zones": count("braking"),
        "braking_s": seconds("braking"),
        "lift_coast_s": seconds("lift_coast"),
        "clipping_s": seconds("clipping"),
        "drs_s": seconds("drs"),
        "upshifts": count("upshift"),
        "downshifts": count("downshift"),
        "min_speed": float(np.nanmin(speed)) if np.isfinite(speed).any() else np.nan,
        "top_speed": float(np.nanmax(speed)) if np.isfinite(speed).any() else np.nan,
    }
    return row | {name: getattr(meta, name) for name in TIMING_COLUMNS} | {"whole": meta.whole}


def summarize_laps(
    laps: Sequence[Lap], found: Sequence[pd.DataFrame], channels: Sequence[str] | None = None
) -> pd.DataFrame:
    """The per-lap table of laps whose events are ``found`` (from any detector)."""
    drs = drs_in_use(laps)
    rows = [
        lap_row(lap, events, channels, uses)
        for lap, events, uses in zip(laps, found, drs, strict=True)
    ]
    table = pd.DataFrame(rows, columns=[*SUMMARY_COLUMNS, *TIMING_COLUMNS, "whole"])
    empty = [c for c in TIMING_COLUMNS if table[c].isna().all()]
    table = table.drop(columns=empty)
    for name in ("lap", "stint"):
        if name in table:
            table[name] = table[name].astype("Int64")
    for name in ("braking_zones", "upshifts", "downshifts"):
        if table[name].notna().all():
            table[name] = table[name].astype(int)
    return table


def drs_in_use(laps: Sequence[Lap]) -> list[bool]:
    """Per lap: whether its session uses DRS (any lap's ``DRS`` channel changes, as judged
    where laps are made over the whole session: :attr:`LapMeta.session_drs`; over the laps
    given where not judged). Cars without DRS (the 2026 cars, whose feed reads 0 throughout;
    a session with DRS disabled) have no DRS seconds, not 0 s of it; a 2025 car that never
    opened its flap in a race still shows 0 s, whichever laps are picked."""
    judged = [lap.meta.session_drs for lap in laps]
    if all(uses is not None for uses in judged):
        return [bool(uses) for uses in judged]
    given = any(
        "DRS" in lap.columns and len(lap) and channel_varies(lap.columns["DRS"])[0] for lap in laps
    )
    return [given if uses is None else uses for uses in judged]


def summarize(
    laps: Any,
    detector: Any = "cnn",
    channels: Sequence[str] | None = None,
    progress: bool = False,
) -> pd.DataFrame:
    """The per-lap table of any laps (:func:`~telecnn.telemetry.sources.as_laps` takes fastf1
    sessions, files, frames), their events found by ``detector`` (the CNN, ``"rules"`` or a
    checkpoint)."""
    from telecnn.telemetry.detector.running import detect_laps
    from telecnn.telemetry.sources import as_laps

    laps = as_laps(laps)
    found = detect_laps(laps, detector, channels, progress=progress)
    return summarize_laps(laps, found, channels)


def counted(table: pd.DataFrame, lap_filter: str = "clean") -> pd.Series:
    """Per row of a per-lap table: whether the lap counts under ``lap_filter``
    (:data:`~telecnn.telemetry.laps.status.LAP_FILTERS`, as
    :func:`~telecnn.telemetry.laps.status.counts` says for a lap)."""
    if lap_filter == "all":
        return pd.Series(True, index=table.index)
    if lap_filter == "whole":
        return ~table["whole"].eq(False) & table["lap_time"].notna()
    return table["status"] == "clean"


def driver_medians(table: pd.DataFrame, lap_filter: str = "clean") -> pd.DataFrame:
    """Per driver (and per stint, where stints are known) how many laps there are, how many
    count under ``lap_filter`` (clean laps by default), and the median of each per-lap figure
    over those that count."""
    keys = ["driver", "stint"] if "stint" in table and table["stint"].notna().any() else ["driver"]
    extra = {"compound": _most_common} if "compound" in table else {}
    return medians_by(table, keys, MEDIAN_COLUMNS, lap_filter, extra)


def medians_by(
    table: pd.DataFrame,
    keys: list[str],
    columns: Sequence[str],
    lap_filter: str = "clean",
    extra: dict[str, Any] | None = None,
) -> pd.DataFrame:
    """Per group of ``keys`` (in their first order): how many laps, how many count under
    ``lap_filter``, each ``extra`` column reduced by its function (or pandas' name of one),
    and the median of each of ``columns`` (those the table has) over the laps that count."""
    columns = [c for c in columns if c in table]
    grouped = table.groupby(keys, sort=False, dropna=False)
    mine = counted(table, lap_filter)
    out = table[mine].groupby(keys, sort=False, dropna=False)[columns].median()
    out = out.reindex(grouped.size().index)
    for name, reduce in reversed(list((extra or {}).items())):
        out.insert(0, name, grouped[name].agg(reduce))
    out.insert(
        0, lap_filter, mine.groupby([table[k] for k in keys], sort=False, dropna=False).sum()
    )
    out.insert(0, "laps", grouped.size())
    return out.reset_index()


def _most_common(values: pd.Series) -> object:
    """The most common value of a column (None when it has none)."""
    counts = values.dropna().value_counts()
    return counts.index[0] if len(counts) else None


def status_counts(table: pd.DataFrame) -> pd.DataFrame:
    """Per driver the number of laps of each status (:data:`STATUSES` order, those present)."""
    wide = pd.crosstab(table["driver"], table["status"])
    wide = wide[[s for s in STATUSES if s in wide.columns]]
    wide.columns.name = None
    return wide.reindex(list(dict.fromkeys(table["driver"]))).reset_index()


def no_lap_time(table: pd.DataFrame) -> int:
    """How many laps have no lap time (timing gave none and the samples cannot tell)."""
    return int(table["lap_time"].isna().sum())


#: Decimals of the summary's figures (lap times to the millisecond; others 0.1).
DIGITS = {"lap_time": 3}


def format_summary(table: pd.DataFrame) -> str:
    """A summary table as aligned text (:func:`~telecnn.telemetry.analysis.tables.format_table`),
    without the figures no row has (DRS on 2026 cars, clipping read through ``Speed``)."""
    shown_missing = ("lap_time",)  # shown as -, with a note
    empty = [
        c for c in MEDIAN_COLUMNS if c in table and c not in shown_missing and table[c].isna().all()
    ]
    return format_table(table.drop(columns=empty), DIGITS)
