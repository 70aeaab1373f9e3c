"""One column of any telemetry file as traces: lap by lap, with time and distance beside it.

For applying a kernel to a trace (``telecnn kernels apply``): the file is read by the same
readers as the laps (CSV, Parquet, JSON, OpenF1 exports, per-lap files), but the column is
taken as it is, not cleaned, so any numeric column of any table works. A multi-lap file
(``Driver``, ``LapNumber``) gives one trace per lap, so no kernel window ever spans two laps.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from telecnn.errors import TelecnnError
from telecnn.telemetry.laps.axes import distance_from_speed
from telecnn.telemetry.laps.clean import lap_seconds
from telecnn.telemetry.sources.files import read_table
from telecnn.telemetry.sources.openf1 import car_data_frame, is_car_data
from telecnn.telemetry.sources.selection import (
    LapChoice,
    LapSelection,
    check_drivers,
    laps_held,
    normalise_drivers,
    parse_lap_choice,
)

LAP_KEYS = ("Driver", "LapNumber")


@dataclass(frozen=True)
class Trace:
    """One lap's (or the whole file's) values of a column, with ``Time`` (s) and ``Distance``
    (m) where the file has them, and the lap it belongs to (``keys``: driver, lap number)."""

    column: str
    values: np.ndarray
    time: np.ndarray | None
    distance: np.ndarray | None
    keys: dict[str, object]


def read_traces(
    path: str | Path,
    column: str,
    drivers: list[str] | str | None = None,
    laps: LapSelection = "all",
) -> list[Trace]:
    """``column`` of the file at ``path``, one :class:`Trace` per lap, checked to be numbers."""
    path = Path(path)
    frame, _ = read_table(path)
    if is_car_data(frame):  # an OpenF1 export: fastf1's names, one stretch a driver
        frame = car_data_frame(frame, where=path.name)
    if column not in frame.columns:
        known = ", ".join(map(str, frame.columns))
        raise TelecnnError(f"no column {column!r} in {path.name}; its columns are: {known}")
    if frame.empty:
        raise TelecnnError(f"{path.name} has no data rows")
    keys = [k for k in LAP_KEYS if k in frame.columns]
    wanted, choice = normalise_drivers(drivers), parse_lap_choice(laps)
    if wanted and "Driver" in frame.columns:
        check_drivers(wanted, frame["Driver"].astype(str).str.upper().unique(), path.name)
    chosen = prefilter(frame, wanted, choice)
    if chosen.empty and not frame.empty:
        held = (
            sorted(
                int(n)
                for n in pd.to_numeric(frame.get("LapNumber"), errors="coerce").dropna().unique()
            )
            if "LapNumber" in frame
            else []
        )
        raise TelecnnError(f"lap {choice} not in {path.name}: {laps_held(held)}")
    frame = chosen
    groups = frame.groupby(keys, sort=True) if keys else [((), frame)]
    traces = []
    for key, rows in groups:
        key = key if isinstance(key, tuple) else (key,)
        labels = dict(zip(keys, key, strict=True))
        where = path.name + "".join(f" {k} {v}" for k, v in labels.items())
        traces.append(_trace(rows, column, labels, where))
    return traces


def _trace(rows: pd.DataFrame, column: str, labels: dict[str, object], where: str) -> Trace:
    values = _numbers(rows[column], column, where)
    time = None
    if {"Time", "SessionTime", "Date"} & set(rows.columns) and column not in ("Time", "Date"):
        try:
            time = lap_seconds(rows)
        except TelecnnError:
            time = None
    distance = None
    if "Distance" in rows.columns:
        distance = pd.to_numeric(rows["Distance"], errors="coerce").to_numpy(dtype=float)
    elif time is not None and "Speed" in rows.columns:
        speed = pd.to_numeric(rows["Speed"], errors="coerce").to_numpy(dtype=float)
        distance = distance_from_speed(time, np.nan_to_num(speed))
    return Trace(column, values, time, distance, labels)


def _numbers(raw: pd.Series, column: str, where: str) -> np.ndarray:
    """The column as float64; text or empty cells are refused with the first one named."""
    if pd.api.types.is_bool_dtype(raw):
        raw = raw.astype(float)
    numbers = pd.to_numeric(raw, errors="coerce")
    bad = numbers.isna() & raw.notna()
    if bad.any():
        row = int(np.flatnonzero(bad.to_numpy())[0])
        raise TelecnnError(
            f"column {column!r} of {where} is not numeric ({raw.iloc[row]!r} in data row {row + 1})"
        )
    if numbers.isna().any():
        raise TelecnnError(
            f"column {column!r} of {where} has {int(numbers.isna().sum())} empty values; "
            "fill or drop them first"
        )
    return numbers.to_numpy(dtype=np.float64)


def prefilter(
    frame: pd.DataFrame, drivers: list[str] | None, choice: LapChoice | None
) -> pd.DataFrame:
    """Drop rows of other drivers and of laps the choice leaves out by number before cleaning
    (the traces read only what was picked); nothing is refused here."""
    numbered = choice is not None and choice.numbers_only and "LapNumber" in frame.columns
    if "Driver" not in frame.columns or not (drivers or numbered and choice.by_driver):
        keys = None
    else:  # upper-cased once per driver, not per row
        codes, names = pd.factorize(frame["Driver"])
        keys = pd.Series(np.append(names.astype(str), "").astype(object)[codes], index=frame.index)
        keys = keys.str.upper() if len(names) else keys
    if drivers and keys is not None:
        frame, keys = frame[keys.isin(drivers)], keys[keys.isin(drivers)]
    if not numbered:
        return frame
    numbers = pd.to_numeric(frame["LapNumber"], errors="coerce").to_numpy(dtype=float)
    default = choice.default
    keep = default.mask(numbers) if default is not None else np.zeros(len(frame), dtype=bool)
    for driver, which in choice.by_driver.items():
        if keys is not None:
            theirs = (keys == driver).to_numpy()
            keep = np.where(theirs, which.mask(numbers), keep)
    return frame[keep]
