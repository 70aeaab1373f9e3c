"""Where laps come from: fastf1 sessions, exported files, the simulator, or objects in hand.

:func:`as_lap` turns one object (DataFrame, fastf1 ``Telemetry``/``Lap``, :class:`Lap`) into a
clean lap; :func:`as_laps` also takes fastf1 ``Laps``/``Session`` and lists; :func:`load_laps`
picks exactly one source the way the CLI's ``--session/--file/--sim`` options do.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from telecnn.errors import TelecnnError
from telecnn.telemetry.laps.clean import clean_lap
from telecnn.telemetry.laps.schema import Lap, LapMeta
from telecnn.telemetry.source_choice import check_one_source
from telecnn.telemetry.sources.fastf1_source import (
    default_cache_dir,
    lap_from_fastf1,
    load_session,
    parse_session_spec,
    session_laps,
    telemetry_meta,
)
from telecnn.telemetry.sources.files import read_laps, select_laps, split_laps
from telecnn.telemetry.sources.paths import expand_paths
from telecnn.telemetry.sources.selection import (
    LapSelection,
    normalise_drivers,
    parse_lap_numbers,
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
        return clean_lap(pd.DataFrame(obj), meta or telemetry_meta(obj))
    if kind == "Lap":
        return lap_from_fastf1(obj)
    if kind == "Laps":
        if len(obj) != 1:
            raise TelecnnError(f"a fastf1 Laps with {len(obj)} laps: use as_laps() or pick one lap")
        return lap_from_fastf1(obj.iloc[0])
    if kind == "Session":
        raise TelecnnError("a whole session: use as_laps(session, drivers=...) or pick a lap")
    if isinstance(obj, pd.DataFrame):
        return clean_lap(obj, meta or LapMeta(source="dataframe"))
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
    multi-lap DataFrame with ``Driver``/``LapNumber``, a file, or a list of lap-like objects."""
    kind = _fastf1_kind(obj)
    if kind in ("Session", "Laps"):
        return session_laps(obj, drivers, laps)
    if (
        isinstance(obj, pd.DataFrame)
        and kind is None
        and {"Driver", "LapNumber"} & set(obj.columns)
    ):
        return select_laps(split_laps(obj, LapMeta(source="dataframe")), drivers, laps)
    if isinstance(obj, (str, Path)):
        return read_laps(obj, drivers, laps)
    if isinstance(obj, Sequence) and not isinstance(obj, (str, bytes)):
        return [as_lap(item) for item in obj]
    return [as_lap(obj)]


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
) -> list[Lap]:
    """Laps from exactly one source: a fastf1 ``session`` spec (with ``drivers``, default all),
    one or more ``files`` (folders of per-lap files and shell-style globs too; an OpenF1
    ``car_data`` export cut into laps by ``laps_file``, placed by ``location_file``, its drivers
    named by ``drivers_file``), or the
    simulator (``sim`` circuit, ``sim_laps`` laps from ``seed``,
    cars of ``era``: default the newest).

    ``laps`` selects laps: ``"fastest"`` (the default for sessions), ``"all"`` (the default for
    files and the simulator) or lap numbers.
    """
    if isinstance(files, (str, Path)):
        files = [files]
    files = expand_paths(list(files or []))
    check_one_source(session, files, sim)
    driver_list = normalise_drivers(drivers)
    if session:
        loaded = load_session(session, cache=cache, offline=offline)
        return session_laps(loaded, driver_list, laps or "fastest", progress=progress)
    if files:
        out: list[Lap] = []
        for path in files:
            out.extend(
                read_laps(path, driver_list, laps or "all", laps_file, location_file, drivers_file)
            )
        return out
    from telecnn.telemetry.simulate import DEFAULT_ERA, simulate_laps

    era = era or DEFAULT_ERA
    if laps in (None, "all", "fastest"):
        chosen = simulate_laps(
            sim, sim_laps, seed=seed, progress=progress and sim_laps > 1, era=era
        )
        return select_laps(chosen, None, laps, where=f"--sim {sim}")
    # lap k of a seed is the same whatever the batch: simulate each run of numbers in one go
    numbers = np.array(sorted(parse_lap_numbers(laps)))
    runs = np.split(numbers, np.flatnonzero(np.diff(numbers) != 1) + 1)
    return [
        lap
        for run in runs
        for lap in simulate_laps(sim, len(run), seed=seed, first_lap=int(run[0]), era=era)
    ]
