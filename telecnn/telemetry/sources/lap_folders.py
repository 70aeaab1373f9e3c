"""Per-lap JSON files in folders, as public F1 data repositories publish them:
``<Event>/<Session>/<DRIVER>/<lap>_tel.json``, each ``{"tel": {"time": [...], "speed": [...],
...}}`` (merged telemetry, times in seconds from the lap's start), with ``laptimes.json``
(``{"lap": [...], "time": [...]}``) beside them per driver. (A folder given to ``--file``:
:mod:`.paths`.)
"""

from __future__ import annotations

from dataclasses import replace
from functools import lru_cache
from pathlib import Path
from typing import Any

import pandas as pd

from telecnn.errors import TelecnnError
from telecnn.telemetry.laps.clean import KNOWN, canonical_names
from telecnn.telemetry.laps.schema import LapMeta
from telecnn.telemetry.sources.timing import laptimes_json, meta_fields

#: Per-lap telemetry file names in a lap folder.
LAP_FILE = "*_tel.json"
#: Lap times beside a driver's lap files.
LAP_TIMES = "laptimes.json"
NOT_LAPS = frozenset({LAP_TIMES, "corners.json", "session_laptimes.json", "cor.json"})


def lap_number(path: Path) -> int | None:
    """The lap number a per-lap file's name starts with (``12_tel.json``: 12)."""
    head = path.name.split("_", 1)[0]
    return int(head) if head.isdigit() else None


def lap_file_key(path: Path) -> tuple[str, int | None] | None:
    """A per-lap file's driver (its folder's name) and lap number (its name's) from its path
    alone, or None for any other file."""
    if not path.name.endswith(LAP_FILE.lstrip("*")):
        return None
    return path.parent.name, lap_number(path)


def is_lap_file(obj: Any) -> bool:
    """Whether parsed JSON is one per-lap file (``{"tel": {...}}``)."""
    return isinstance(obj, dict) and isinstance(obj.get("tel"), dict)


def lap_file_frame(obj: dict[str, Any], path: Path) -> pd.DataFrame:
    """A per-lap file's channels in fastf1's names (columns it has beyond them are dropped)."""
    lists = {k: v for k, v in obj["tel"].items() if isinstance(v, list)}
    try:
        frame = canonical_names(pd.DataFrame(lists))
    except ValueError as exc:
        raise TelecnnError(f"cannot read {path.name}: {exc}") from None
    if "Time" not in frame.columns:
        raise TelecnnError(f"{path.name}: a per-lap file without a time list")
    return frame[[c for c in ("Time", *KNOWN) if c in frame.columns]]


def lap_file_meta(path: Path, base: LapMeta) -> LapMeta:
    """Driver (the folder's name), lap (the file's name), session and event (the folders
    above) of a per-lap file, and what ``laptimes.json`` beside it says of the lap (its lap
    time, compound, stint, pits...: :mod:`.timing`)."""
    number = lap_number(path)
    parts = path.parent.parts
    meta = LapMeta(
        event=parts[-3] if len(parts) >= 3 else base.event,
        session=parts[-2] if len(parts) >= 2 else base.session,
        driver=path.parent.name,
        lap_number=number,
        source=base.source,
    )
    timing = _folder_timing(path.parent / LAP_TIMES, path.parent.name)
    if timing is None or number is None:
        return meta
    rows = timing[timing["LapNumber"] == number]
    if rows.empty:
        return replace(meta, lap_time_source="timing")  # timing without this lap: no time
    return replace(meta, **meta_fields(rows.iloc[0]))


@lru_cache(maxsize=64)
def _folder_timing(times_file: Path, driver: str):  # noqa: ANN202 - a DataFrame or None
    """The driver's ``laptimes.json`` as the timing table, read once per folder."""
    return laptimes_json(times_file, driver) if times_file.is_file() else None
