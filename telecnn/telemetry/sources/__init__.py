"""Where laps come from: fastf1 sessions, exported files, the simulator, or objects in hand.

:func:`as_lap` turns one object (DataFrame, fastf1 ``Telemetry``/``Lap``, :class:`Lap`) into a
clean lap; :func:`as_laps` also takes fastf1 ``Laps``/``Session`` and lists; :func:`load_laps`
picks exactly one source the way the CLI's ``--session/--file/--sim`` options do.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from telecnn.errors import TelecnnError
from telecnn.progress import progress_bar
from telecnn.telemetry.laps.clean import clean_lap
from telecnn.telemetry.laps.schema import Lap, LapMeta
from telecnn.telemetry.laps.status import judge_laps
from telecnn.telemetry.source_choice import check_one_source
from telecnn.telemetry.sources.fastf1_source import (
    default_cache_dir,
    lap_from_fastf1,
    load_session,
    parse_session_spec,
    session_laps,
    telemetry_meta,
)
from telecnn.telemetry.sources.files import load_timing, read_file, read_laps, split_laps, timed
from telecnn.telemetry.sources.lap_folders import lap_file_key
from telecnn.telemetry.sources.paths import expand_paths
from telecnn.telemetry.sources.selection import (
    Held,
    LapChoice,
    LapNumbers,
    LapSelection,
    parse_lap_choice,
    select_laps,
    wanted_drivers,
)

__all__ = [
    "as_lap",
    "as_laps",
    "default_cache_dir",
    "load_laps",
    "load_session",
    "parse_session_spec",
    "read_laps",
    "session_laps",
]


def _fastf1_kind(obj: Any) -> str | None:
    """``"Telemetry"``, ``"Laps"``, ``"Lap"`` or ``"Session"`` for fastf1 objects, else None."""
    for cls in type(obj).__mro__:
        if cls.__module__.startswith("fastf1") and cls.__name__ in (
            "Telemetry",
            "Laps",
            "Lap",
            "Session",
        ):
            return cls.__name__
    return None


def as_lap(obj: Any, meta: LapMeta | None = None) -> Lap:
    """One clean :class:`Lap` from a Lap, a DataFrame, or a fastf1 ``Telemetry``/``Lap``
    (or a ``Laps`` holding exactly one lap)."""
    if isinstance(obj, Lap):
        return obj
    kind = _fastf1_kind(obj)
    if kind == "Telemetry":
        return _judged([clean_lap(pd.DataFrame(obj), meta or telemetry_meta(obj))])[0]
    if kind == "Lap":
        return _judged([lap_from_fastf1(obj)])[0]
    if kind == "Laps":
        if len(obj) != 1:
            raise TelecnnError(f"a fastf1 Laps with {len(obj)} laps: use as_laps() or pick one lap")
        return _judged([lap_from_fastf1(obj.iloc[0])])[0]
    if kind == "Session":
        raise TelecnnError("a whole session: use as_laps(session, drivers=...) or pick a lap")
    if isinstance(obj, pd.DataFrame):
        return _judged([clean_lap(obj, meta or LapMeta(source="dataframe"))])[0]
    if isinstance(obj, (str, Path)):
        laps = read_laps(obj)
        if len(laps) != 1:
            raise TelecnnError(f"{obj} holds {len(laps)} laps: use read_laps() or load_laps()")
        return laps[0]
    raise TelecnnError(
        f"cannot read a lap from {type(obj).__name__}: give a DataFrame, a fastf1 Telemetry "
        "or Lap, "
        "a file path or a telecnn Lap"
    )


def as_laps(
    obj: Any, drivers: list[str] | str | None = None, laps: LapSelection = "all"
) -> list[Lap]:
    """Every lap in ``obj``: a fastf1 ``Session`` or ``Laps`` (with ``drivers``/``laps``), a
    multi-lap DataFrame with ``Driver``/``LapNumber``, a file, or a list of lap-like objects;
    each with its status (:mod:`telecnn.telemetry.laps.status`)."""
    kind = _fastf1_kind(obj)
    if kind in ("Session", "Laps"):
        return session_laps(obj, drivers, laps)
    if (
        isinstance(obj, pd.DataFrame)
        and kind is None
        and {"Driver", "LapNumber"} & set(obj.columns)
    ):
        found = judge_laps(split_laps(obj, LapMeta(source="dataframe")))
        return select_laps(found, drivers, laps, "the frame")[0]
    if isinstance(obj, (str, Path)):
        return read_laps(obj, drivers, laps)
    if isinstance(obj, Sequence) and not isinstance(obj, (str, bytes)):
        return _judged([as_lap(item) for item in obj])
    return _judged([as_lap(obj)])


def _judged(laps: list[Lap]) -> list[Lap]:
    """Laps in hand judged where no source judged them yet (a lap's status is decided once)."""
    fresh = [lap for lap in laps if lap.meta.whole is None]
    judge_laps(fresh)
    return laps


#: The most laps the simulator is asked for in one call (a typo must not fill the memory).
MAX_SIM_LAPS = 100_000


def load_laps(
    session: str | None = None,
    drivers: Iterable[str] | str | None = None,
    laps: LapSelection = None,
    files: Iterable[str | Path] | str | Path | None = None,
    sim: str | None = None,
    sim_laps: int = 1,
    seed: int = 0,
    cache: str | Path | None = None,
    offline: bool = False,
    progress: bool = False,
    era: str | None = None,
    laps_file: str | Path | None = None,
    location_file: str | Path | None = None,
    drivers_file: str | Path | None = None,
    lap_filter: str = "clean",
    notes: list[str] | None = None,
) -> list[Lap]:
    """Laps from exactly one source: a fastf1 ``session`` spec (with ``drivers``, default all),
    one or more ``files`` (folders of per-lap files and shell-style globs too; ``laps_file``:
    their lap timing, or the OpenF1 laps export that cuts an OpenF1 ``car_data`` export into
    laps, placed by ``location_file``, its drivers named by ``drivers_file``), or the
    simulator (``sim`` circuit, ``sim_laps`` laps from ``seed``, cars of ``era``: default the
    newest). Each lap gets its status (:mod:`telecnn.telemetry.laps.status`).

    ``laps`` selects laps across every file at once (:func:`~.selection.parse_lap_choice`):
    ``"fastest"`` (the default for sessions: each driver's fastest of the laps
    ``lap_filter`` counts, clean ones by default), ``"all"`` (the default for files and the
    simulator), lap numbers, or per driver (``"VER:70,PIA:60"``). What picking left out is
    added to ``notes`` when given. Multi-lap files are judged whole, then picked from; a
    folder of per-lap files is picked from by its paths first (a season's folders hold
    thousands), so its laps are judged among those read.
    """
    if isinstance(files, (str, Path)):
        files = [files]
    given = [str(f) for f in files or []]
    files = expand_paths(list(files or []))
    check_one_source(session, files, sim)
    notes = notes if notes is not None else []
    if session:
        loaded = load_session(session, cache=cache, offline=offline)
        return session_laps(loaded, drivers, laps or "fastest", progress, lap_filter, notes)
    choice = parse_lap_choice(laps, default="all")
    if files:
        wanted = wanted_drivers(drivers, choice)
        found: list[Lap] = []
        held = Held()
        bar = progress_bar(what="reading files", unit="file", total=len(files),
                           show=progress and len(files) > 20)  # fmt: skip
        for path in files:
            bar.update()
            key = lap_file_key(path)  # a per-lap file says its driver and lap by its path
            if key is not None:
                held.add(key[0], [key[1]])
                if (wanted and key[0].upper() not in wanted) or not held.chosen(*key, choice):
                    continue
            found += read_file(path, laps_file, location_file, drivers_file, None if key else held)
        bar.close()
        if laps_file is not None:
            found = timed(found, load_timing(laps_file, drivers_file))
        one = Path(given[0]) if len(given) == 1 else None
        where = (one.name if one.is_file() else str(one)) if one else f"{len(files)} files"
        chosen, left = select_laps(judge_laps(found), drivers, choice, where, lap_filter, held)
        notes += left
        return chosen
    return _simulated(sim, sim_laps, seed, era, choice, progress, lap_filter, notes)


def _simulated(
    sim: str | None,
    sim_laps: int,
    seed: int,
    era: str | None,
    choice: LapChoice,
    progress: bool,
    lap_filter: str,
    notes: list[str],
) -> list[Lap]:
    """Simulated laps: ``sim_laps`` from lap 1, or the lap numbers ``choice`` names (lap k of
    a seed is the same whatever the batch: each run of numbers is simulated in one go)."""
    from telecnn.telemetry.simulate import DEFAULT_ERA, simulate_laps

    era = era or DEFAULT_ERA
    numbers = choice.default if isinstance(choice.default, LapNumbers) else None
    runs = numbers.ranges if numbers is not None else ((1, sim_laps),)
    total = sum(hi - lo + 1 for lo, hi in runs)
    if total > MAX_SIM_LAPS:
        raise TelecnnError(f"{total:,} simulated laps asked for: at most {MAX_SIM_LAPS:,} a call")
    laps = [
        lap
        for lo, hi in runs
        for lap in simulate_laps(
            sim, hi - lo + 1, seed=seed, first_lap=lo, era=era, progress=progress and total > 1
        )
    ]
    if numbers is not None:
        return judge_laps(laps)
    chosen, left = select_laps(judge_laps(laps), None, choice, f"--sim {sim}", lap_filter)
    notes += left
    return chosen
