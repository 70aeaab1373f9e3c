"""Lap timing: what timing says of a lap beyond its samples (lap time, tyres, stint, pits,
track status, deleted and accurate laps, team), read from any timing source into one table
and put on the laps it belongs to.

Timing sources: fastf1's ``Laps`` (a loaded session, or ``session.laps`` exported to CSV,
Parquet or JSON: ``Driver``, ``LapNumber``, ``LapTime``, optionally ``Compound``, ``Stint``,
``TyreLife``, ``PitInTime``, ``PitOutTime``, ``TrackStatus``, ``IsAccurate``, ``Deleted``,
``Team``, ``Session``), OpenF1's ``laps`` export (``driver_number``, ``lap_number``,
``lap_duration``, ``is_pit_out_lap``) and ``laptimes.json`` beside per-lap folders (``lap``,
``time``, ``compound``, ``stint``, ``life``, ``pin``, ``pout``, ``status``, ``del``, ``iacc``,
``team``). A ``drivers.json`` beside the telemetry (``{"drivers": [{"driver", "team"}]}``)
names the teams.
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from telecnn.errors import TelecnnError
from telecnn.telemetry.laps.schema import Lap

#: The timing table's columns (what :func:`timing_table` makes of any source).
TIMING_COLUMNS: tuple[str, ...] = (
    "Driver",
    "LapNumber",
    "LapTime",
    "Compound",
    "Stint",
    "TyreLife",
    "PitIn",
    "PitOut",
    "TrackStatus",
    "Deleted",
    "Accurate",
    "Team",
    "Session",
)
#: Each source's names for the timing table's columns (fastf1's own names first).
_NAMES: dict[str, tuple[str, ...]] = {
    "Driver": ("Driver", "drv", "driver", "driver_number"),
    "LapNumber": ("LapNumber", "lap", "lap_number"),
    "LapTime": ("LapTime", "time", "lap_duration"),
    "Compound": ("Compound", "compound"),
    "Stint": ("Stint", "stint"),
    "TyreLife": ("TyreLife", "life"),
    "PitIn": ("PitInTime", "pin"),
    "PitOut": ("PitOutTime", "pout", "is_pit_out_lap"),
    "TrackStatus": ("TrackStatus", "status"),
    "Deleted": ("Deleted", "del"),
    "Accurate": ("IsAccurate", "iacc"),
    "Team": ("Team", "team", "team_name"),
    "Session": ("Session",),
}
#: Lap times that differ from the trace's duration by more than this (s, the median over the
#: matched laps) are another session's.
MATCH_TOLERANCE_S = 2.0


def is_timing(frame: pd.DataFrame) -> bool:
    """Whether a table reads as lap timing (a driver, a lap number and a lap time, in any
    source's names) rather than telemetry."""
    return all(any(n in frame.columns for n in _NAMES[c]) for c in ("Driver", "LapNumber"))


def timing_table(frame: pd.DataFrame, where: str = "the timing") -> pd.DataFrame:
    """Any timing source's rows as the timing table (:data:`TIMING_COLUMNS`): lap times in
    seconds (NaN where the source has none), pit in/out and flags as booleans (None where the
    source does not say), drivers upper-cased."""
    frame = frame.replace({"None": None})
    out = pd.DataFrame(index=frame.index)
    for name in TIMING_COLUMNS:
        source = next((n for n in _NAMES[name] if n in frame.columns), None)
        out[name] = _column(name, frame[source] if source else None, len(frame))
    if out["Driver"].isna().all() or out["LapNumber"].isna().all():
        raise TelecnnError(f"{where}: lap timing needs Driver and LapNumber columns")
    out = out.dropna(subset=["Driver", "LapNumber"])
    out["LapNumber"] = out["LapNumber"].astype(int)
    return out.reset_index(drop=True)


def _column(name: str, values: pd.Series | None, n: int) -> Any:
    if values is None:
        return np.full(n, np.nan) if name in ("LapTime", "TyreLife") else [None] * n
    if name == "Driver":
        return values.map(lambda v: None if _missing(v) else str(v).strip().upper())
    if name == "LapTime":
        return _seconds(values)
    if name in ("LapNumber", "Stint", "TyreLife"):
        return pd.to_numeric(values, errors="coerce")
    if name in ("PitIn", "PitOut") and values.dtype != bool:
        return values.map(lambda v: not _missing(v) and v is not False)  # a time, or a flag
    if name in ("PitIn", "PitOut", "Deleted", "Accurate"):
        return values.map(lambda v: None if _missing(v) else bool(v))
    return values.map(lambda v: None if _missing(v) else str(v))


def _missing(value: Any) -> bool:
    return value is None or (not isinstance(value, str) and pd.isna(value)) or value == "None"


def _seconds(values: pd.Series) -> np.ndarray:
    """Lap times as seconds from timedeltas, their text or numbers (NaN where none)."""
    if pd.api.types.is_timedelta64_dtype(values):
        return values.dt.total_seconds().to_numpy(dtype=float)
    numbers = pd.to_numeric(values, errors="coerce")
    if numbers.notna().any() or values.isna().all():
        return numbers.to_numpy(dtype=float)
    return pd.to_timedelta(values, errors="coerce").dt.total_seconds().to_numpy(dtype=float)


def read_timing(path: str | Path) -> pd.DataFrame:
    """A timing file (CSV, Parquet or JSON: fastf1's ``session.laps`` export, OpenF1's laps
    export, a ``laptimes.json``) as the timing table."""
    from telecnn.telemetry.sources.files import read_table

    path = Path(path)
    frame, _ = read_table(path)
    if not is_timing(frame):
        raise TelecnnError(
            f"{path.name} is no lap timing: expected Driver, LapNumber and LapTime columns "
            "(fastf1's session.laps), OpenF1's laps export or a laptimes.json"
        )
    table = timing_table(frame, path.name)
    table.attrs["file"] = path.name
    return table


def laptimes_json(path: Path, driver: str) -> pd.DataFrame | None:
    """A per-lap folder's ``laptimes.json`` as the timing table (its driver: the folder's),
    None where it is missing or unreadable (the laps then have no timing)."""
    try:
        obj = json.loads(path.read_text(encoding="utf-8"))
        frame = pd.DataFrame({k: v for k, v in obj.items() if isinstance(v, list)})
    except (OSError, ValueError, RecursionError):
        return None
    if "lap" not in frame.columns:
        return None
    frame["drv"] = driver
    try:
        return timing_table(frame, path.name)
    except TelecnnError:
        return None


def meta_fields(row: Any) -> dict[str, Any]:
    """The :class:`~telecnn.telemetry.laps.schema.LapMeta` fields of one timing row."""

    def value(name: str) -> Any:
        v = row.get(name) if hasattr(row, "get") else None
        return None if v is None or (not isinstance(v, (str, bool)) and pd.isna(v)) else v

    lap_time, stint, life = value("LapTime"), value("Stint"), value("TyreLife")
    return {
        "lap_time": None if lap_time is None else round(float(lap_time), 3),
        "lap_time_source": "timing",
        "team": value("Team"),
        "compound": value("Compound"),
        "tyre_life": None if life is None else float(life),
        "stint": None if stint is None else int(stint),
        "pit_in": value("PitIn"),
        "pit_out": value("PitOut"),
        "track_status": value("TrackStatus"),
        "deleted": value("Deleted"),
        "accurate": value("Accurate"),
    }


def apply_timing(laps: list[Lap], timing: pd.DataFrame, where: str) -> list[Lap]:
    """The laps with what ``timing`` says of each (matched by driver and lap number; an
    unnumbered lap by its driver and the lap time nearest its duration). Timing of several
    sessions (a ``Session`` column) gives the session whose laps these are. Timing that
    matches none of the laps, or whose lap times are not these laps' (another session), is
    refused in one line."""
    best, why = None, ""
    sessions = timing["Session"].dropna().unique() if "Session" in timing else []
    for part in [timing[timing["Session"] == s] for s in sessions] or [timing]:
        matched, gap = _match(laps, part)
        if matched and gap <= MATCH_TOLERANCE_S and (best is None or len(matched) > len(best)):
            best = matched
        elif matched:
            why = f" (its lap times differ from the laps' durations by {gap:.1f} s)"
    if best is None:
        drivers = ", ".join(sorted({str(lap.meta.driver) for lap in laps})[:8])
        raise TelecnnError(
            f"the timing in {where} is not of these laps{why}: timing of another session or "
            f"driver? (laps of {drivers})"
        )
    for lap, row in best.items():
        fields = {k: v for k, v in meta_fields(row).items() if v is not None or k == "lap_time"}
        lap.meta = replace(lap.meta, **fields)
    return laps


def _match(laps: list[Lap], timing: pd.DataFrame) -> tuple[dict[Lap, dict], float]:
    """Each lap's timing row, and the median gap (s) between timed laps' durations and times."""
    records = timing.to_dict("records")
    rows = {(r["Driver"], r["LapNumber"]): r for r in records}
    by_driver: dict[str, list[dict]] = {}
    for r in records:
        by_driver.setdefault(r["Driver"], []).append(r)
    matched: dict[Lap, dict] = {}
    gaps = []
    for lap in laps:
        driver = str(lap.meta.driver or "").upper()
        duration = float(lap.times[-1] - lap.times[0])
        if lap.meta.lap_number is not None:
            row = rows.get((driver, lap.meta.lap_number))
        else:
            row = _nearest(by_driver.get(driver, []), duration)
        if row is None:
            continue
        matched[lap] = row
        if np.isfinite(row["LapTime"]):
            gaps.append(abs(duration - float(row["LapTime"])))
    return matched, float(np.median(gaps)) if gaps else 0.0


def _nearest(rows: list[dict], duration: float) -> dict | None:
    """The row whose lap time is nearest ``duration`` (an unnumbered lap of that driver)."""
    timed = [r for r in rows if np.isfinite(r["LapTime"])]
    if not timed:
        return None
    best = min(timed, key=lambda r: abs(r["LapTime"] - duration))
    return best if abs(best["LapTime"] - duration) <= MATCH_TOLERANCE_S else None


#: The file that names the teams beside telemetry (per-lap folders: the session's folder).
DRIVERS_FILE = "drivers.json"


def teams_beside(path: Path) -> dict[str, str]:
    """Driver -> team from a ``drivers.json`` beside ``path`` (or one folder up, for per-lap
    folders); empty where there is none or it cannot be read."""
    for folder in (path.parent, path.parent.parent):
        found = folder / DRIVERS_FILE
        if found.is_file():
            return _teams(found)
    return {}


def _teams(path: Path) -> dict[str, str]:
    try:
        obj = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError, RecursionError):
        return {}
    rows = obj.get("drivers", []) if isinstance(obj, dict) else obj
    out = {}
    for row in rows if isinstance(rows, list) else []:
        if isinstance(row, dict) and row.get("driver") and row.get("team"):
            out[str(row["driver"]).upper()] = str(row["team"])
    return out
