"""Units of work: the sources a command was given, one unit each.

A telemetry file is a unit; the per-lap files of one session folder (``<Event>/<Session>/
<DRIVER>/<lap>_tel.json``) are one unit together, however they were named (a folder, a glob);
a fastf1 session is a unit, and ``YEAR/*/SESSION`` stands for that session of every event of
the year in fastf1's schedule.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

from telecnn.errors import TelecnnError
from telecnn.telemetry.sources.lap_folders import lap_file_key
from telecnn.telemetry.sources.paths import expand_paths


@dataclass(frozen=True)
class Unit:
    """One source: ``files`` (one telemetry file, or one session's per-lap files) or a fastf1
    ``session`` spec; ``name`` says it (and names its file in a dataset folder)."""

    name: str
    files: tuple[str, ...] = ()
    session: str | None = None

    @property
    def file_name(self) -> str:
        """The unit's file in a dataset folder: its name made safe, and a short hash of the
        name where that changed it (two units never share a file)."""
        safe = re.sub(r"[^A-Za-z0-9._-]+", "_", self.name).strip("._") or "unit"
        if safe != self.name or len(safe) > 120:
            digest = hashlib.sha1(self.name.encode()).hexdigest()[:8]
            safe = f"{safe[:110]}-{digest}"
        return f"{safe}.parquet"


def many_laps(unit: Unit) -> bool:
    """Whether a unit holds many laps: a session, a session's per-lap files, or a Parquet or
    CSV file with ``Driver`` and ``LapNumber`` columns (read from its header alone)."""
    if unit.session is not None or len(unit.files) > 1:
        return True
    path = Path(unit.files[0])
    columns: set[str] = set()
    try:
        if path.suffix.lower() in (".parquet", ".pq"):
            import pyarrow.parquet as pq

            columns = set(pq.ParquetFile(path).schema_arrow.names)
        elif path.suffix.lower() == ".csv":
            with path.open("rb") as f:
                columns = set(f.readline().decode(errors="replace").strip().split(","))
    except Exception:  # an unreadable file: the reader says why, unit by unit
        return True
    return {"Driver", "LapNumber"} <= columns


def units_from(
    files: list[str] | tuple[str, ...] = (), sessions: list[str] | tuple[str, ...] = ()
) -> list[Unit]:
    """The units of ``--file`` arguments (files, folders, globs) and ``--session`` specs, in
    the order given, each once."""
    units: dict[str, Unit] = {}
    lap_files: dict[Path, list[str]] = {}
    for path in expand_paths(list(files)):
        key = lap_file_key(path)
        if key is None:
            units.setdefault(str(path), Unit(_file_name(path), (str(path),)))
            continue
        session = path.parent.parent  # <Event>/<Session>/<DRIVER>/<lap>_tel.json
        if session not in lap_files:
            lap_files[session] = []
            units[str(session)] = Unit(_folder_name(session))
        lap_files[session].append(str(path))
    out = [
        Unit(u.name, tuple(lap_files.get(Path(k), ())) or u.files, u.session)
        for k, u in units.items()
    ]
    for spec in sessions:
        out += [Unit(s.replace("/", "-"), session=s) for s in session_specs(spec)]
    names = [u.name for u in out]
    clash = {n for n in names if names.count(n) > 1}
    if clash:  # two files of one name in different folders: tell them apart by their folder
        out = [Unit(_unique(u), u.files, u.session) if u.name in clash else u for u in out]
    return out


def _file_name(path: Path) -> str:
    return path.stem


def _folder_name(session: Path) -> str:
    return f"{session.parent.name}-{session.name}" if session.parent.name else session.name


def _unique(unit: Unit) -> str:
    where = Path(unit.files[0]).parent if unit.files else Path(unit.session or "")
    return f"{where.name}-{unit.name}" if where.name else unit.name


def session_specs(spec: str) -> list[str]:
    """``YEAR/EVENT/SESSION`` as is; ``YEAR/*/SESSION``: that session of every event of the
    year in fastf1's schedule (its cache, or its servers)."""
    parts = spec.strip("/").split("/")
    if len(parts) != 3 or parts[1] != "*":
        return [spec]
    from telecnn.telemetry.sources.fastf1_source import configure_fastf1

    fastf1 = configure_fastf1()
    try:
        schedule = fastf1.get_event_schedule(int(parts[0]), include_testing=False)
    except Exception as exc:  # fastf1 raises many types when its servers are out of reach
        raise TelecnnError(f"cannot read fastf1's {parts[0]} schedule for {spec}: {exc}") from None
    rounds = [int(r) for r in schedule["RoundNumber"] if int(r) > 0]
    if not rounds:
        raise TelecnnError(f"fastf1's {parts[0]} schedule has no events for {spec}")
    return [f"{parts[0]}/{r}/{parts[2]}" for r in rounds]
