"""Per-lap JSON files in folders, as public F1 data repositories publish them:
``<Event>/<Session>/<DRIVER>/<lap>_tel.json``, each ``{"tel": {"time": [...], "speed": [...],
...}}`` (merged telemetry, times in seconds from the lap's start), with ``laptimes.json``
(``{"lap": [...], "time": [...]}``) beside them per driver.

Also where ``--file`` takes a folder or a shell-style glob: :func:`expand_paths`.
"""

from __future__ import annotations

import glob
from pathlib import Path
from typing import Any

import pandas as pd

from telecnn.errors import DataNotFoundError, TelecnnError
from telecnn.telemetry.schema import LapMeta

#: Per-lap telemetry file names in a lap folder.
LAP_FILE = "*_tel.json"
#: Lap times beside a driver's lap files.
LAP_TIMES = "laptimes.json"
RENAMED = {
    "time": "Time",
    "speed": "Speed",
    "rpm": "RPM",
    "gear": "nGear",
    "throttle": "Throttle",
    "brake": "Brake",
    "drs": "DRS",
    "distance": "Distance",
    "x": "X",
    "y": "Y",
    "z": "Z",
}
TELEMETRY_SUFFIXES = (".csv", ".parquet", ".pq", ".json")
NOT_LAPS = frozenset({LAP_TIMES, "corners.json", "session_laptimes.json", "cor.json"})


def expand_paths(paths: list[str | Path]) -> list[Path]:
    """``--file`` arguments as files: a folder stands for its lap files (every
    ``*_tel.json`` below it, else its telemetry files), a shell-style glob for what it matches."""
    out: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            out += folder_files(path)
        elif not path.exists() and glob.has_magic(str(raw)):
            matched = sorted(Path(p) for p in glob.glob(str(raw), recursive=True))
            if not matched:
                raise DataNotFoundError(f"--file {raw} matches no file")
            out += [m for p in matched for m in (folder_files(p) if p.is_dir() else [p])]
        else:
            out.append(path)
    return out


def folder_files(folder: Path) -> list[Path]:
    """The telemetry files in a folder: its per-lap files (at any depth), else the telemetry
    files directly in it."""
    laps = sorted(folder.rglob(LAP_FILE), key=_lap_order)
    if laps:
        return laps
    files = sorted(
        p
        for p in folder.iterdir()
        if p.is_file() and p.suffix.lower() in TELEMETRY_SUFFIXES and p.name not in NOT_LAPS
    )
    if not files:
        raise DataNotFoundError(f"{folder} holds no telemetry files ({LAP_FILE}, .csv, ...)")
    return files


def _lap_order(path: Path) -> tuple[str, int, str]:
    number = lap_number(path)
    return (str(path.parent), -1 if number is None else number, path.name)


def lap_number(path: Path) -> int | None:
    """The lap number a per-lap file's name starts with (``12_tel.json``: 12)."""
    head = path.name.split("_", 1)[0]
    return int(head) if head.isdigit() else None


def is_lap_file(obj: Any) -> bool:
    """Whether parsed JSON is one per-lap file (``{"tel": {...}}``)."""
    return isinstance(obj, dict) and isinstance(obj.get("tel"), dict)


def lap_file_frame(obj: dict[str, Any], path: Path) -> pd.DataFrame:
    """A per-lap file's channels in fastf1's names (columns it has beyond them are dropped)."""
    tel = obj["tel"]
    columns = {RENAMED[k]: v for k, v in tel.items() if k in RENAMED and isinstance(v, list)}
    if "Time" not in columns:
        raise TelecnnError(f"{path.name}: a per-lap file without a time list")
    try:
        return pd.DataFrame(columns)
    except ValueError as exc:
        raise TelecnnError(f"cannot read {path.name}: {exc}") from None


def lap_file_meta(path: Path, base: LapMeta) -> LapMeta:
    """Driver (the folder's name), lap (the file's name), lap time (``laptimes.json``) and
    session and event (the folders above) of a per-lap file."""
    number = lap_number(path)
    parts = path.parent.parts
    return LapMeta(
        event=parts[-3] if len(parts) >= 3 else base.event,
        session=parts[-2] if len(parts) >= 2 else base.session,
        driver=path.parent.name,
        lap_number=number,
        lap_time=_lap_time(path.parent / LAP_TIMES, number),
        source=base.source,
    )


def _lap_time(times_file: Path, number: int | None) -> float | None:
    if number is None or not times_file.is_file():
        return None
    try:
        import json

        table = json.loads(times_file.read_text(encoding="utf-8"))
        for lap, time in zip(table.get("lap", []), table.get("time", []), strict=False):
            if int(lap) == number:
                return float(time)
    except (ValueError, TypeError, OSError):
        return None  # a lap time we cannot read: the lap's own samples give it
    return None
