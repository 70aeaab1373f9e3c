"""OpenF1 exports: ``car_data`` rows (``date``, ``driver_number``, ``speed``, ``rpm``,
``n_gear``, ``throttle``, ``brake``, ``drs``), cut into laps by a ``laps`` export
(``driver_number``, ``lap_number``, ``date_start``, ``lap_duration``) and given positions by a
``location`` export (``date``, ``driver_number``, ``x``, ``y``, ``z``); a ``drivers`` export
(``driver_number``, ``name_acronym``) names the drivers, else their numbers stand for them.

The result is a frame in fastf1's names (``Driver`` is the driver number, ``LapNumber`` where
a laps export cut it, ``Time`` in seconds from each lap's start, ``SessionTime`` from the
export's first sample) that the file source splits into laps like any other. Without a laps
export, each driver's data is one stretch.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from telecnn.errors import TelecnnError
from telecnn.telemetry.laps.clean import canonical_names, merge_position

#: The columns that make a table an OpenF1 ``car_data`` export.
CAR_DATA_COLUMNS = frozenset({"date", "driver_number", "speed"})
DROPPED = ("date", "driver_number", "session_key", "meeting_key")


def is_car_data(frame: pd.DataFrame) -> bool:
    """Whether ``frame`` reads as an OpenF1 ``car_data`` export."""
    return set(frame.columns) >= CAR_DATA_COLUMNS


def car_data_frame(
    car: pd.DataFrame,
    laps: pd.DataFrame | None = None,
    location: pd.DataFrame | None = None,
    where: str = "the car data",
    drivers: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """An OpenF1 ``car_data`` export in fastf1's names, cut into laps by ``laps``, with X/Y/Z
    from ``location`` (interpolated onto the car samples' times) and the drivers named by
    ``drivers`` when given."""
    origin = _dates(car, "date", where).min()
    out = canonical_names(car)
    out["SessionTime"] = _seconds(car, "date", origin, where)
    out["Driver"] = car["driver_number"].astype(str)
    if location is not None:
        out = _with_positions(out, location, origin)
    out = out.drop(columns=[c for c in DROPPED if c in out.columns])
    if laps is None:
        first = out.groupby("Driver")["SessionTime"].transform("min")
        out = out.assign(Time=out["SessionTime"] - first)
    else:
        out = _cut_into_laps(out, laps, origin, where)
    return out if drivers is None else _named(out, drivers)


def _named(frame: pd.DataFrame, drivers: pd.DataFrame) -> pd.DataFrame:
    """Driver numbers as the drivers export's acronyms (numbers it lacks stay numbers)."""
    return frame.assign(Driver=name_drivers(frame["Driver"], drivers))


def name_drivers(numbers: pd.Series, drivers: pd.DataFrame) -> pd.Series:
    """Driver numbers (as text) as the drivers export's acronyms (numbers it lacks stay)."""
    if not {"driver_number", "name_acronym"} <= set(drivers.columns):
        raise TelecnnError("the drivers export needs driver_number and name_acronym columns")
    names = dict(zip(drivers["driver_number"].astype(str), drivers["name_acronym"], strict=True))
    return numbers.map(lambda n: str(names.get(n, n)))


def _dates(frame: pd.DataFrame, column: str, where: str) -> pd.Series:
    when = pd.to_datetime(frame[column], utc=True, format="ISO8601", errors="coerce")
    if when.isna().all():
        raise TelecnnError(f"{where}: column {column} holds no ISO 8601 dates")
    return when


def _seconds(frame: pd.DataFrame, column: str, origin: pd.Timestamp, where: str) -> np.ndarray:
    return (_dates(frame, column, where) - origin).dt.total_seconds().to_numpy()


def _with_positions(car: pd.DataFrame, location: pd.DataFrame, origin) -> pd.DataFrame:
    """Each driver's X/Y/Z from the location export, on the car samples' session times (the
    same one position merge as fastf1 objects and lap exports)."""
    if not {"date", "driver_number", "x", "y"} <= set(location.columns):
        raise TelecnnError("the location export needs date, driver_number, x and y columns")
    pos = canonical_names(location)
    pos["SessionTime"] = _seconds(location, "date", origin, "the location export")
    pos["Driver"] = location["driver_number"].astype(str)
    parts = []
    for driver, group in car.groupby("Driver", sort=False):
        theirs = pos[pos["Driver"] == driver]
        parts.append(merge_position(group, theirs) if len(theirs) else group)
    return pd.concat(parts).sort_index()


def _cut_into_laps(
    car: pd.DataFrame, laps: pd.DataFrame, origin: pd.Timestamp, where: str
) -> pd.DataFrame:
    """Each car sample in the lap whose ``date_start`` .. ``date_start + lap_duration`` holds
    it (until the next lap's start where the duration is missing); samples in no lap go."""
    needed = {"driver_number", "lap_number", "date_start"}
    if not needed <= set(laps.columns):
        raise TelecnnError(f"the laps export needs {', '.join(sorted(needed))} columns")
    laps = laps.assign(
        Driver=laps["driver_number"].astype(str),
        start=_seconds(laps, "date_start", origin, "the laps export"),
    ).dropna(subset=["start"])
    drivers = sorted(set(car["Driver"]))
    theirs = sorted(set(laps["Driver"]))
    if not set(drivers) & set(theirs):
        raise TelecnnError(
            f"the laps export has no laps of driver {', '.join(drivers)} of {where} "
            f"(it holds {', '.join(theirs) or 'none'})"
        )
    parts = []
    for driver, group in car.groupby("Driver", sort=False):
        rows = laps[laps["Driver"] == driver].sort_values("start")
        if rows.empty:
            continue
        starts = rows["start"].to_numpy(float)
        duration = pd.to_numeric(rows.get("lap_duration"), errors="coerce")
        ends = starts + (duration.to_numpy(float) if duration is not None else np.nan)
        following = np.append(starts[1:], np.inf)
        ends = np.where(np.isfinite(ends), np.minimum(ends, following), following)
        t = group["SessionTime"].to_numpy(float)
        k = np.searchsorted(starts, t, side="right") - 1
        inside = (k >= 0) & (t < ends[np.clip(k, 0, None)])
        kept = group[inside]
        lap = k[inside]
        parts.append(
            kept.assign(
                LapNumber=rows["lap_number"].to_numpy()[lap].astype(int),
                Time=t[inside] - starts[lap],
            )
        )
    if not parts:
        raise TelecnnError(f"no sample of {where} falls in a lap of the laps export")
    return pd.concat(parts, ignore_index=True)
