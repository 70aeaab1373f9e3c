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

from collections.abc import Iterator
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
from telecnn.telemetry.sources.openf1 import car_data_frame, is_car_data, name_drivers
from telecnn.telemetry.sources.selection import (
    Held,
    LapSelection,
)
from telecnn.telemetry.sources.timing import (
    apply_timing,
    meta_fields,
    read_timing,
    teams_beside,
    timing_table,
)
from telecnn.telemetry.table_formats import SUFFIXES


def read_laps(
    path: str | Path,
    drivers: list[str] | str | None = None,
    laps: LapSelection = "all",
    laps_file: str | Path | None = None,
    location_file: str | Path | None = None,
    drivers_file: str | Path | None = None,
    lap_filter: str = "clean",
) -> list[Lap]:
    """The laps of a telemetry file (optionally only some drivers and laps: see
    :func:`~telecnn.telemetry.sources.selection.select_laps`), each with its status
    (:mod:`telecnn.telemetry.laps.status`). ``laps_file`` is lap timing (fastf1's
    ``session.laps`` exported, OpenF1's laps export); an OpenF1 ``car_data`` file is cut into
    laps by its laps export, given positions by ``location_file`` and its drivers' names by
    ``drivers_file``; without a laps export each driver's data is one stretch (as
    :func:`~telecnn.telemetry.sources.load_laps` reads one file)."""
    from telecnn.telemetry.sources import load_laps

    return load_laps(
        files=[Path(path)], drivers=drivers, laps=laps, laps_file=laps_file,
        location_file=location_file, drivers_file=drivers_file, lap_filter=lap_filter,
    )  # fmt: skip


def read_file(
    path: str | Path,
    laps_file: str | Path | None = None,
    location_file: str | Path | None = None,
    drivers_file: str | Path | None = None,
    held: Held | None = None,
) -> list[Lap]:
    """Every lap of a telemetry file, cleaned, not yet timed, judged nor selected (timing and
    the choice apply across all files at once: :func:`load_timing`, then judging; ``held`` is
    told which drivers and laps the file holds; ``laps_file`` cuts an OpenF1 ``car_data``
    export into laps). A lap without a
    driver is the file's (``VER.csv``: ``VER``); ``drivers.json`` beside the file names the
    teams."""
    path = Path(path)
    frame, base = read_table(path)
    if is_car_data(frame):
        cut = None if laps_file is None else read_table(laps_file)[0]
        where = None if location_file is None else read_table(location_file)[0]
        names = None if drivers_file is None else read_table(drivers_file)[0]
        frame = car_data_frame(frame, cut, where, path.name, names)
        if cut is None:
            base = base.with_notes("no lap boundaries: each driver's data is one stretch")
    elif location_file is not None or drivers_file is not None:
        raise TelecnnError(
            f"--location and --drivers-file go with OpenF1 car_data exports; {path.name} is not one"
        )
    return frame_laps(frame, base, path, held)


def frame_laps(
    frame: pd.DataFrame,
    base: LapMeta,
    path: Path,
    held: Held | None = None,
    teams: dict[str, str] | None = None,
) -> list[Lap]:
    """The laps of a file's rows (all of them, or a chunk of whole laps): ``held`` told what
    they hold, cleaned, each lap's driver (the file's where the rows name none) and team
    (``teams``: by driver code; default: ``drivers.json`` beside the file).
    Every lap is kept, whatever is picked later:
    a lap's status is judged against its session's laps (the lap length, the racing line), not
    against those picked (a pit lap picked alone would have no racing line to leave)."""
    if held is not None:
        _tell(held, frame, base, path)
    laps = split_laps(frame, base)
    teams = teams_beside(path) if teams is None else teams
    for lap in laps:
        driver = lap.meta.driver or (path.stem if len(laps) == 1 else None)
        team = lap.meta.team or teams.get(str(driver).upper())
        lap.meta = replace(lap.meta, driver=driver, team=team)
    return laps


def timed(laps: list[Lap], timing: pd.DataFrame) -> list[Lap]:
    """The laps with what ``timing`` says of them, matched over all of them at once (a folder
    of per-lap files is timed as one session, not a file at a time)."""
    return apply_timing(laps, timing, timing.attrs.get("file", "the timing")) if laps else laps


def load_timing(laps_file: str | Path, drivers_file: str | Path | None = None) -> pd.DataFrame:
    """The timing table of ``laps_file``, read once for all the files it times (an OpenF1
    ``car_data`` file reads the export again to cut its laps: :func:`read_file`); an OpenF1 laps
    export names its drivers by number, which ``drivers_file`` (OpenF1's drivers export)
    turns into codes."""
    timing = read_timing(laps_file)
    if drivers_file is not None:
        timing["Driver"] = name_drivers(timing["Driver"], read_table(drivers_file)[0])
    return timing


#: A multi-lap file of more rows than this (a whole race of 20 drivers in merged telemetry
#: is about 750,000) is read and worked through in chunks of :data:`CHUNK_ROWS`: its memory
#: follows the chunk, not the file.
STREAM_ROWS = 1_000_000
CHUNK_ROWS = 100_000


def chunked(path: str | Path, rows: int | None = None) -> bool:
    """Whether a file is worth reading in chunks: a multi-lap Parquet or CSV file (``Driver``
    and ``LapNumber`` columns) of more than ``rows`` rows (a CSV: more than ``rows`` times a
    row's usual size; ``rows``: :data:`STREAM_ROWS` by default)."""
    rows = STREAM_ROWS if rows is None else rows
    path = Path(path)
    kind = _kind(path) if path.is_file() else None
    if kind == "parquet":
        import pyarrow.parquet as pq

        try:
            meta = pq.ParquetFile(path).metadata
        except Exception:  # an unreadable file: the whole-file reader says why
            return False
        names = set(meta.schema.names)
        return meta.num_rows > rows and {"Driver", "LapNumber"} <= names
    if kind == "csv":
        with path.open("rb") as f:
            head = f.readline().decode(errors="replace")
        return path.stat().st_size > rows * 120 and {"Driver", "LapNumber"} <= set(head.split(","))
    return False


def frame_chunks(path: str | Path, rows: int | None = None) -> Iterator[pd.DataFrame]:
    """A multi-lap Parquet or CSV file's rows, a chunk of about ``rows`` (default
    :data:`CHUNK_ROWS`) at a time, each chunk whole laps (a lap's rows are consecutive in the
    exports; one cut by a chunk's end goes with the next chunk). A lap whose rows come back
    after another lap's (a file sorted by time across drivers) is refused in one line: it
    would be read as pieces of laps."""
    rows = CHUNK_ROWS if rows is None else rows
    path = Path(path)
    carry: pd.DataFrame | None = None
    seen: set[str] = set()
    for batch in _batches(path, rows):
        frame = batch if carry is None else pd.concat([carry, batch], ignore_index=True)
        keys = _lap_keys(frame)
        last = keys.iloc[-1]
        cut = len(frame) - int((keys.iloc[::-1] == last).cummin().sum())
        if cut == 0:  # the chunk is one lap so far: carry it all
            carry = frame
            continue
        laps = keys.iloc[:cut]
        starts = laps[laps.ne(laps.shift())]  # each run of one lap's rows
        if starts.duplicated().any() or not seen.isdisjoint(starts):
            raise _apart(path)
        seen.update(starts)
        carry = frame.iloc[cut:].reset_index(drop=True).copy()  # not a view of the chunk
        piece = frame.iloc[:cut].reset_index(drop=True)
        del frame, keys, batch, laps, starts  # one chunk alive while the next is read
        yield piece
        del piece
    if carry is not None and len(carry):
        if _lap_keys(carry.iloc[:1]).iloc[0] in seen:  # the last lap's rows came earlier too
            raise _apart(path)
        yield carry


def _apart(path: Path) -> TelecnnError:
    """The refusal of a file whose laps' rows are not together."""
    return TelecnnError(
        f"{path.name}: a lap's rows are not together (sorted by time across drivers?); "
        "sort the file by Driver and LapNumber"
    )


def _lap_keys(frame: pd.DataFrame) -> pd.Series:
    """Each row's lap as one string: its driver and lap number."""
    return frame["Driver"].astype(str) + "|" + frame["LapNumber"].astype(str)


def _batches(path: Path, rows: int) -> Iterator[pd.DataFrame]:
    """The file's rows as pandas frames of about ``rows`` (read as the whole-file readers do)."""
    try:
        if _kind(path) == "parquet":
            import pyarrow as pa
            import pyarrow.parquet as pq

            # no read-ahead of whole row groups; freed buffers go back to the system
            parquet = pq.ParquetFile(path, pre_buffer=False, buffer_size=1 << 20)
            for batch in parquet.iter_batches(batch_size=rows):
                yield batch.to_pandas()
                pa.default_memory_pool().release_unused()
            return
        for part in pd.read_csv(path, chunksize=rows, na_values=list(CSV_NULLS),
                                keep_default_na=False):  # fmt: skip
            yield part.drop(columns=[c for c in part.columns if str(c).startswith("Unnamed:")])
    except (ValueError, OSError, UnicodeDecodeError) as exc:
        raise TelecnnError(f"cannot read {path.name}: {one_line(exc)[:200]}") from None


def _tell(held: Held, frame: pd.DataFrame, base: LapMeta, path: Path) -> None:
    """Tell ``held`` the drivers and lap numbers a file's rows hold."""
    if "Driver" not in frame.columns:
        held.add(base.driver or path.stem, [base.lap_number])
        return
    numbers = frame["LapNumber"] if "LapNumber" in frame.columns else pd.Series(np.nan, frame.index)
    pairs = pd.DataFrame({"d": frame["Driver"].astype(str), "n": numbers}).drop_duplicates()
    for driver, rows in pairs.groupby("d")["n"]:
        held.add(driver, pd.to_numeric(rows, errors="coerce"))


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
            lap_time=None,  # timing's, or estimated once the lap is judged whole
        )
        lap_columns = {name: values[rows] for name, values in columns.items()}
        out.append(finish_lap(lap_columns, meta))
    return out


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
    """Driver, lap number, lap time and what its ``lap_details`` (fastf1's lap columns) say
    of a lap-export JSON."""
    details = obj.get("lap_details") if isinstance(obj.get("lap_details"), dict) else {}
    row = {
        **details,
        "Driver": obj.get("driver") or "?",
        "LapNumber": obj.get("lap_number") or 0,
        "LapTime": obj.get("lap_time_seconds"),
        "Team": obj.get("team"),
        "Compound": obj.get("compound") or details.get("Compound"),
        "TyreLife": obj.get("tyre_life", details.get("TyreLife")),
    }
    timing = timing_table(pd.DataFrame([row]), "the lap export").iloc[0]
    year = None
    dates = obj["telemetry"].get("Date")
    if dates:
        year = pd.to_datetime(dates[0], errors="coerce").year
    number = obj.get("lap_number")
    return LapMeta(
        year=None if year is None or pd.isna(year) else int(year),
        event=base.event,
        session=base.session,
        driver=obj.get("driver"),
        lap_number=None if number is None else int(number),
        source=base.source,
        **meta_fields(timing),
    )


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
