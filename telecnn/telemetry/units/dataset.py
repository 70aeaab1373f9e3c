"""A dataset folder: one Parquet file a unit, each written whole as soon as its unit is done,
all of one schema so that ``pandas.read_parquet(FOLDER)`` reads the season back.

The folder holds one run's files: ``_telecnn-run.json`` says what made them, and a run that
would mix its files with another run's (another detector, other channels...) is refused unless
``--force``; a rerun of the same run skips the units whose files are there (a run stopped
halfway finishes the rest). A running command holds the folder's lock, as the trainers do.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd

from telecnn import __version__
from telecnn.errors import RunFolderError
from telecnn.telemetry.units.units import Unit

#: What made a dataset folder's files (names starting with "_" or "." are no data to pyarrow).
MANIFEST = "_telecnn-run.json"

#: Each table's columns and their types: every unit's file has them all, in this order.
_TEXT, _FLOAT, _INT = "string", "float64", "Int64"
EVENTS_SCHEMA: dict[str, str] = {
    "source": _TEXT, "session": _TEXT, "driver": _TEXT, "lap": _INT, "event": _TEXT,
    "start_time": _FLOAT, "end_time": _FLOAT, "start_distance": _FLOAT, "end_distance": _FLOAT,
    "confidence": _FLOAT, "corner": _TEXT, "entry_speed": _FLOAT, "min_speed": _FLOAT,
    "exit_speed": _FLOAT, "speed_lost": _FLOAT, "from_gear": _FLOAT, "to_gear": _FLOAT,
    "status": _TEXT, "lap_time": _FLOAT, "compound": _TEXT, "stint": _INT,
    "tyre_life": _FLOAT, "team": _TEXT,
}  # fmt: skip
SUMMARY_SCHEMA: dict[str, str] = {
    "source": _TEXT, "session": _TEXT, "driver": _TEXT, "lap": _INT, "status": _TEXT,
    "lap_time": _FLOAT, "lap_time_from": _TEXT, "braking_zones": _FLOAT, "braking_s": _FLOAT,
    "lift_coast_s": _FLOAT, "clipping_s": _FLOAT, "drs_s": _FLOAT, "upshifts": _FLOAT,
    "downshifts": _FLOAT, "min_speed": _FLOAT, "top_speed": _FLOAT, "team": _TEXT,
    "compound": _TEXT, "tyre_life": _FLOAT, "stint": _INT, "pit_in": "boolean",
    "pit_out": "boolean", "track_status": _TEXT, "whole": "boolean",
}  # fmt: skip
SCHEMAS = {"detect-events": EVENTS_SCHEMA, "summarize": SUMMARY_SCHEMA}


def conform(table: pd.DataFrame, schema: dict[str, str]) -> pd.DataFrame:
    """``table`` with exactly the schema's columns, in its order and types (missing: empty)."""
    out = {}
    for name, dtype in schema.items():
        column = table[name] if name in table else pd.Series(None, index=table.index, dtype=object)
        if dtype in (_FLOAT, _INT):
            column = pd.to_numeric(column, errors="coerce")
        else:
            column = column.astype(object).where(column.notna(), None)
        out[name] = column.astype(dtype)
    return pd.DataFrame(out, index=table.index).reset_index(drop=True)


def write_unit(folder: Path, unit: Unit, table: pd.DataFrame, command: str = "") -> Path:
    """Write one unit's table as its file in ``folder``, atomically (whole, or not there)."""
    from telecnn.telemetry.sources.files import write_frame

    schema = SCHEMAS.get(command) or (
        SUMMARY_SCHEMA if "braking_zones" in table.columns else EVENTS_SCHEMA
    )
    return write_frame(conform(table, schema), folder / unit.file_name)


def read_units(folder: Path, units: list[Unit]) -> dict[str, pd.DataFrame]:
    """The tables of ``units`` already in ``folder`` (a rerun's skipped units), by unit name."""
    return {
        u.name: pd.read_parquet(folder / u.file_name)
        for u in units
        if (folder / u.file_name).exists()
    }


def prepare(folder: Path, settings: dict[str, Any], units: list[Unit], force: bool) -> set[str]:
    """Make ``folder`` ready for a run with ``settings`` and say which units are done already
    (their files are there: skipped). Files of another run are refused unless ``force``,
    which removes them."""
    manifest = folder / MANIFEST
    ours = {"telecnn": __version__, **settings}
    theirs = _read(manifest)
    files = {p.name for p in folder.glob("*.parquet")} if folder.is_dir() else set()
    same = theirs is not None and {k: v for k, v in theirs.items() if k != "telecnn"} == settings
    if files and not same and not force:
        what = "files of another run" if theirs is not None else "files telecnn did not write"
        raise RunFolderError(
            f"{folder} holds {what} ({len(files)} .parquet): pick another --out, or --force "
            "to replace them"
        )
    if force:
        for name in files:
            (folder / name).unlink()
        files = set()
    from telecnn.atomic import write_json

    write_json(manifest, ours)
    return {u.name for u in units if u.file_name in files}


def _read(manifest: Path) -> dict[str, Any] | None:
    try:
        obj = json.loads(manifest.read_text(encoding="utf-8"))
    except (OSError, ValueError, RecursionError):
        return None
    return obj if isinstance(obj, dict) else None
