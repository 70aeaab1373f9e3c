"""Laps from exported files: CSV, Parquet or JSON as written from fastf1, OpenF1 exports and
per-lap JSON files.

Accepted: one lap (e.g. ``lap.get_car_data().to_csv()``) or many laps with ``Driver`` and
``LapNumber`` columns; ``Time``/``SessionTime`` as timedelta strings or seconds; ``Brake`` as
bool or 0/100; JSON as records, columns, split or the lap-export form with ``telemetry`` and
``position_data`` dicts (the ``hungary-2024-q`` files); OpenF1 ``car_data`` (with its ``laps``
and ``location`` exports: :mod:`.openf1`); per-lap ``{"tel": ...}`` files
(:mod:`.lap_folders`). The format is read from the content when the suffix does not say it.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from telecnn.errors import DataNotFoundError, TelecnnError, one_line
from telecnn.telemetry.laps.clean import clean_lap, finish_lap, merge_position, normalise_frame
from telecnn.telemetry.laps.end_to_end import end_to_end
from telecnn.telemetry.laps.schema import Lap, LapMeta
from telecnn.telemetry.sources.json_files import read_json
from telecnn.telemetry.sources.lap_folders import is_lap_file, lap_file_frame, lap_file_meta
from telecnn.telemetry.sources.openf1 import car_data_frame, is_car_data
from telecnn.telemetry.sources.selection import (
    LapSelection,
    check_drivers,
    laps_held,
    normalise_drivers,
    parse_lap_numbers,
)
from telecnn.telemetry.sources.timing import timing_meta
from telecnn.telemetry.table_formats import SUFFIXES


def read_laps(
    path: str | Path,
    drivers: list[str] | str | None = None,
    laps: LapSelection = "all",
    laps_file: str | Path | None = None,
    location_file: str | Path | None = None,
    drivers_file: str | Path | None = None,
) -> list[Lap]:
    """Every lap in a telemetry file (optionally only some drivers and laps). An OpenF1
    ``car_data`` file is cut into laps by ``laps_file`` (its ``laps`` export), given positions
    by ``location_file`` and its drivers' names by ``drivers_file``; without a laps file each
    driver's data is one stretch."""
    path = Path(path)
    frame, base = read_table(path)
    if is_car_data(frame):
        cut = None if laps_file is None else read_table(laps_file)[0]
        where = None if location_file is None else read_table(location_file)[0]
        names = None if drivers_file is None else read_table(drivers_file)[0]
        frame = car_data_frame(frame, cut, where, path.name, names)
        if cut is None:
            base = base.with_notes("no lap boundaries: each driver's data is one stretch")
    elif laps_file is not None or location_file is not None or drivers_file is not None:
        raise TelecnnError(
            f"--laps, --location and --drivers-file go with OpenF1 car_data exports; "
            f"{path.name} is not one"
        )
    frame = prefilter(frame, drivers, laps, path.name)
    return select_laps(split_laps(frame, base), drivers, laps, where=path.name)


def read_table(path: str | Path) -> tuple[pd.DataFrame, LapMeta]:
    """A telemetry file's rows as they are (CSV, Parquet or JSON; nothing cleaned yet) and the
    lap metadata the file itself carries."""
    path = Path(path)
    if not path.is_file():
        raise DataNotFoundError(f"no such telemetry file: {path}")
    kind = _kind(path)
    base = LapMeta(source=f"file:{path.name}")
    if kind == "csv":
        frame = _read(read_csv, path)
    elif kind == "parquet":
        frame = _read(pd.read_parquet, path)
    else:
        frame, base = _read_json(path, base)
    frame = frame.drop(columns=[c for c in frame.columns if str(c).startswith("Unnamed:")])
    return frame, base


def prefilter(frame: pd.DataFrame, drivers, which: LapSelection, where: str) -> pd.DataFrame:
    """Drop rows of other drivers and laps before cleaning (cleaning is the costly step)."""
    wanted = normalise_drivers(drivers)
    if wanted and "Driver" in frame.columns:
        names = frame["Driver"].astype(str).str.upper()
        check_drivers(wanted, names.unique(), where)
        frame = frame[names.isin(wanted)]
    if which not in (None, "all", "fastest") and "LapNumber" in frame.columns:
        keep = frame["LapNumber"].isin(parse_lap_numbers(which))
        if not keep.any():
            have = sorted(int(n) for n in frame["LapNumber"].dropna().unique())
            raise TelecnnError(f"lap {which} not in {where}: {laps_held(have)}")
        frame = frame[keep]
    return frame


def split_laps(frame: pd.DataFrame, base: LapMeta) -> list[Lap]:
    """One lap per (``Driver``, ``LapNumber``) group, or the whole frame as one lap. The frame
    is normalised once (:func:`normalise_frame`), then each lap finished on its own."""
    keys = [c for c in ("Driver", "LapNumber") if c in frame.columns]
    if not keys:
        return [clean_lap(frame, base)]
    out = []
    clean = normalise_frame(frame, keys)
    columns = {name: clean[name].to_numpy() for name in clean.columns if name not in keys}
    groups = clean.groupby(keys, sort=True).indices
    for key, rows in sorted(groups.items(), key=lambda item: item[0]):
        key = key if isinstance(key, tuple) else (key,)
        fields = dict(zip(keys, key, strict=True))
        meta = replace(
            base,
            driver=str(fields["Driver"]) if "Driver" in fields else base.driver,
            lap_number=int(fields["LapNumber"]) if "LapNumber" in fields else base.lap_number,
            lap_time=None,  # each lap's own, from its samples
        )
        lap_columns = {name: values[rows] for name, values in columns.items()}
        out.append(_with_lap_time(finish_lap(lap_columns, meta)))
    return out


def select_laps(
    laps: list[Lap], drivers: list[str] | str | None, which: LapSelection, where: str = "the data"
) -> list[Lap]:
    """Keep the laps of ``drivers`` (None: all) and ``which`` laps: ``"all"``, ``"fastest"``
    (per driver), a lap number or a list of them."""
    wanted = normalise_drivers(drivers)
    if wanted:
        have = {(lap.meta.driver or "").upper() for lap in laps}
        check_drivers(wanted, have, where)
        laps = [lap for lap in laps if (lap.meta.driver or "").upper() in wanted]
    if which is None or which == "all":
        return laps
    if which == "fastest":
        best: dict[str | None, Lap] = {}
        for lap in laps:
            time = lap.meta.lap_time if lap.meta.lap_time is not None else np.inf
            cur = best.get(lap.meta.driver)
            if cur is None or time < (cur.meta.lap_time or np.inf):
                best[lap.meta.driver] = lap
        return list(best.values())
    numbers = parse_lap_numbers(which)
    chosen = [lap for lap in laps if lap.meta.lap_number in numbers]
    if len(laps) == 1 and laps[0].meta.lap_number is None:
        chosen = laps  # a single unnumbered lap is whatever lap was asked for
    if not chosen:
        have = sorted({lap.meta.lap_number for lap in laps if lap.meta.lap_number is not None})
        raise TelecnnError(f"lap {which} not in {where}: {laps_held(have)}")
    return chosen


def _kind(path: Path) -> str:
    """``csv``, ``parquet`` or ``json``: by suffix, else by the file's first bytes."""
    suffix = path.suffix.lower()
    if suffix in (".parquet", ".pq"):
        return "parquet"
    if suffix in (".csv", ".json"):
        return suffix[1:]
    with path.open("rb") as f:
        head = f.read(512)
    if head.startswith(b"PAR1"):
        return "parquet"
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if text[:1] in (b"{", b"["):
        return "json"
    if b"," in text.split(b"\n", 1)[0]:
        return "csv"
    raise TelecnnError(
        f"{path.name}: not a telemetry format telecnn knows (fastf1 exports as CSV, Parquet or "
        "JSON; OpenF1 car_data as JSON or CSV; per-lap _tel.json files)"
    )


#: What pandas reads as a missing value in a CSV (its own list), for pyarrow's parser too.
CSV_NULLS = (
    "", "#N/A", "#N/A N/A", "#NA", "-1.#IND", "-1.#QNAN", "-NaN", "-nan", "1.#IND", "1.#QNAN",
    "<NA>", "N/A", "NA", "NULL", "NaN", "None", "n/a", "nan", "null",
)  # fmt: skip


def read_csv(path: Path) -> pd.DataFrame:
    """A CSV file through pyarrow's parser (multi-threaded: three times pandas' own on a race
    file, and its buffers handed over column by column, so no second copy is held), as pandas
    would read it: the same types (but for ISO dates, which come as datetimes), missing values,
    ``HH:MM:SS`` as text and ``Unnamed: k`` for a nameless (index) column. pandas' own parser
    reads it where pyarrow refuses the file (a ragged row...) or where column names repeat
    (pandas tells them apart: ``Speed.1``). Floats may differ from pandas' in the last bit,
    pyarrow's being the correctly rounded ones."""
    import pyarrow as pa
    from pyarrow import csv

    options = csv.ConvertOptions(null_values=list(CSV_NULLS), strings_can_be_null=True)
    try:
        table = csv.read_csv(path, convert_options=options)
    except Exception:  # pyarrow raises its own types; pandas' parser says what is wrong
        return pd.read_csv(path)
    names = table.column_names
    if len(set(names)) < len(names):
        return pd.read_csv(path)
    for k, field in enumerate(table.schema):
        if pa.types.is_time(field.type):  # HH:MM:SS, read as clock times: the text, as pandas
            table = table.set_column(k, field.name, table.column(k).cast(pa.string()))
    frame = table.to_pandas(split_blocks=True, self_destruct=True)
    del table
    pa.default_memory_pool().release_unused()
    frame.columns = [name or f"Unnamed: {k}" for k, name in enumerate(names)]
    for name in frame.select_dtypes(include="object").columns:
        if frame[name].isna().any():  # a missing text cell: NaN as pandas has it, not None
            frame[name] = frame[name].where(frame[name].notna(), np.nan)
    return frame


def _read(reader: Any, path: Path) -> pd.DataFrame:
    try:
        return reader(path)
    except (ValueError, OSError, UnicodeDecodeError) as exc:
        raise TelecnnError(f"cannot read {path.name}: {one_line(exc)[:200]}") from None
    except Exception as exc:  # pyarrow and csv parsers raise their own types
        raise TelecnnError(
            f"cannot read {path.name}: {type(exc).__name__}: {one_line(exc)}"[:300]
        ) from None


def _read_json(path: Path, base: LapMeta) -> tuple[pd.DataFrame, LapMeta]:
    obj = read_json(path)
    if isinstance(obj, dict) and isinstance(obj.get("telemetry"), dict):
        return export_frame(obj), export_meta(obj, base)
    if is_lap_file(obj):
        return lap_file_frame(obj, path), lap_file_meta(path, base)
    if isinstance(obj, list):
        return pd.DataFrame.from_records(obj), base
    if isinstance(obj, dict) and {"columns", "data"} <= set(obj):
        return pd.DataFrame(obj["data"], columns=obj["columns"]), base
    if isinstance(obj, dict) and isinstance(obj.get("data"), list):
        return pd.DataFrame.from_records(obj["data"]), base  # orient="table"
    if isinstance(obj, dict):
        try:
            return pd.DataFrame(obj), base
        except ValueError:
            pass
    raise TelecnnError(f"{path.name}: JSON is not a table of telemetry (records, columns or split)")


def export_frame(obj: dict[str, Any]) -> pd.DataFrame:
    """Car data of a lap-export JSON, with X/Y/Z from its position data interpolated on."""
    car = pd.DataFrame(obj["telemetry"])
    pos = obj.get("position_data")
    if not isinstance(pos, dict):
        return car
    return merge_position(car, pd.DataFrame(pos))


def export_meta(obj: dict[str, Any], base: LapMeta) -> LapMeta:
    """Driver, lap number and lap time of a lap-export JSON."""
    lap_time = obj.get("lap_time_seconds")
    number = obj.get("lap_number")
    details = obj.get("lap_details") if isinstance(obj.get("lap_details"), dict) else {}
    if obj.get("tyre_life") is not None:
        details = {**details, "TyreLife": obj["tyre_life"]}
    year = None
    dates = obj["telemetry"].get("Date")
    if dates:
        year = pd.to_datetime(dates[0], errors="coerce").year
    return LapMeta(
        year=None if year is None or pd.isna(year) else int(year),
        event=base.event,
        session=base.session,
        driver=obj.get("driver"),
        lap_number=None if number is None else int(number),
        lap_time=None if lap_time is None else float(lap_time),
        source=base.source,
        **timing_meta({"Team": obj.get("team"), **details, "Compound": obj.get("compound")}),
    )


def _with_lap_time(lap: Lap) -> Lap:
    if lap.meta.lap_time is not None:
        return lap
    t = lap.times
    lap.meta = replace(lap.meta, lap_time=round(float(t[-1] - min(t[0], 0.0)), 3))
    return lap


def laps_frame(laps: list[Lap]) -> pd.DataFrame:
    """Many laps as one frame with ``Driver`` and ``LapNumber`` columns (the multi-lap format).
    Laps with the same numeric columns (cleaned or simulated ones) are laid end to end as
    arrays; others go through pandas' concatenation (its rules for columns that differ)."""
    if not laps:
        return pd.DataFrame()
    drivers = [lap.meta.driver or "UNK" for lap in laps]
    numbers = [
        lap.meta.lap_number if lap.meta.lap_number is not None else k
        for k, lap in enumerate(laps, start=1)
    ]
    first = laps[0].columns
    alike = all(
        list(lap.columns) == list(first)
        and all(
            lap.columns[n].dtype == a.dtype and a.dtype.kind in "biuf" for n, a in first.items()
        )
        for lap in laps
    )
    if not alike:
        frames = []
        for lap, driver, number in zip(laps, drivers, numbers, strict=True):
            frame = lap.data.copy()
            frame.insert(0, "LapNumber", number)
            frame.insert(0, "Driver", driver)
            frames.append(frame)
        return pd.concat(frames, ignore_index=True)
    lengths = [len(lap) for lap in laps]
    joined = end_to_end([lap.columns for lap in laps], list(first))
    keys = {
        "Driver": np.repeat(np.array(drivers, dtype=object), lengths),
        "LapNumber": np.repeat(np.array(numbers), lengths),
    }
    return pd.DataFrame(keys | joined.columns)


def write_frame(frame: pd.DataFrame, path: str | Path) -> Path:
    """Write a table atomically as CSV, Parquet or JSON (a list of records), by suffix."""
    from telecnn.atomic import atomic_path

    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in SUFFIXES:
        raise TelecnnError(f"cannot write {path.name}: use {', '.join(SUFFIXES)}")
    with atomic_path(path) as tmp:
        if suffix == ".csv":
            frame.to_csv(tmp, index=False)
        elif suffix in (".parquet", ".pq"):
            frame.to_parquet(tmp, index=False)
        else:
            frame.to_json(tmp, orient="records", indent=1)
    return path


def write_laps(laps: list[Lap], path: str | Path) -> Path:
    """Write laps to one multi-lap file (``Driver``, ``LapNumber``, ``Time`` in seconds, ...)."""
    return write_frame(laps_frame(laps), path)
