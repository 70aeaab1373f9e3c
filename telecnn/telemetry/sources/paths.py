"""What ``--file`` names, as files: a folder stands for its lap files (every ``*_tel.json``
below it, else its telemetry files), a shell-style glob for what it matches."""

from __future__ import annotations

import glob
from pathlib import Path

from telecnn.errors import DataNotFoundError
from telecnn.telemetry.sources.lap_folders import LAP_FILE, NOT_LAPS, lap_number
from telecnn.telemetry.table_formats import SUFFIXES


def expand_paths(paths: list[str | Path]) -> list[Path]:
    """``--file`` arguments as the files they stand for (a plain path stays as it is)."""
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
    """The telemetry files in a folder: its per-lap files (at any depth, lap by lap), else the
    telemetry files directly in it."""
    laps = sorted(folder.rglob(LAP_FILE), key=_lap_order)
    if laps:
        return laps
    files = sorted(
        p
        for p in folder.iterdir()
        if p.is_file() and p.suffix.lower() in SUFFIXES and p.name not in NOT_LAPS
    )
    if not files:
        raise DataNotFoundError(f"{folder} holds no telemetry files ({LAP_FILE}, .csv, ...)")
    return files


def _lap_order(path: Path) -> tuple[str, int, str]:
    number = lap_number(path)
    return (str(path.parent), -1 if number is None else number, path.name)
