"""The lap-source options shared by ``telemetry show``, ``detect-events`` and friends.

``@source_options`` adds ``--session/--driver/--lap/--file/--sim/--sim-laps/--era/--seed/
--cache/--offline`` to a command; :func:`laps_from_options` turns their values into laps (through
:func:`telecnn.telemetry.sources.load_laps`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import click

from telecnn.cli.common_options import with_options
from telecnn.telemetry.laps.statuses import LAP_FILTERS

SOURCE_KEYS = (
    "session",
    "driver",
    "lap",
    "files",
    "laps_file",
    "location_file",
    "drivers_file",
    "sim",
    "sim_laps",
    "era",
    "seed",
    "cache",
    "offline",
    "corners_file",
    "lap_filter",
)


ERAS = ("2025", "2026")
#: ``--era``: which season's cars the simulator builds (2026: no DRS, energy-limited).
era_option = click.option(
    "--era",
    type=click.Choice(ERAS),
    default=ERAS[-1],
    show_default=True,
    help="Simulated cars: 2026 (no DRS, half the power electric) or 2025 (DRS).",
)


def source_options(func: Callable[..., Any]) -> Callable[..., Any]:
    """Decorate a click command with the shared lap-source options."""
    options = [
        click.option(
            "--session",
            metavar="YEAR/EVENT/SESSION",
            help="A fastf1 session, e.g. 2024/Hungary/Q or 2024/13/R (FP1-3, SQ, S, Q, R).",
        ),
        click.option(
            "--driver",
            multiple=True,
            metavar="CODE",
            help="Driver code(s), e.g. VER; repeat or comma-separate; 'all' for everyone.",
        ),
        click.option(
            "--lap",
            metavar="fastest|all|N",
            help="Which laps: fastest (sessions' default), all (files' default), 3,5-7, or per "
            "driver VER:70,PIA:60 (across every file of a folder or glob).",
        ),
        click.option(
            "--laps-filter",
            "lap_filter",
            type=click.Choice(LAP_FILTERS),
            default="clean",
            show_default=True,
            help="Which laps count when picking the fastest and taking medians: clean (whole, "
            "timed, no pit in or out, no safety car), whole (pits too) or all. Every lap keeps "
            "its events either way.",
        ),
        click.option(
            "--file",
            "files",
            multiple=True,
            type=click.Path(),
            help="Exported telemetry (fastf1's CSV, Parquet, JSON; OpenF1 car_data; per-lap "
            "_tel.json files), a folder of per-lap files or a glob; repeat for several.",
        ),
        click.option(
            "--laps",
            "laps_file",
            type=click.Path(dir_okay=False),
            help="Lap timing of the --file laps: fastf1's session.laps exported (CSV, Parquet, "
            "JSON: Driver, LapNumber, LapTime, Compound...) or OpenF1's laps export (which also "
            "cuts an OpenF1 car_data --file into laps).",
        ),
        click.option(
            "--location",
            "location_file",
            type=click.Path(dir_okay=False),
            help="OpenF1 location export that gives an OpenF1 car_data --file its X/Y/Z.",
        ),
        click.option(
            "--drivers-file",
            "drivers_file",
            type=click.Path(dir_okay=False),
            help="OpenF1 drivers export: name the drivers of an OpenF1 car_data --file.",
        ),
        click.option(
            "--sim",
            metavar="CIRCUIT",
            help="Simulate laps on a built-in circuit (monza, barcelona, monaco).",
        ),
        click.option(
            "--sim-laps",
            type=click.IntRange(1),
            default=1,
            show_default=True,
            help="How many laps to simulate with --sim.",
        ),
        era_option,
        click.option("--seed", type=int, default=0, show_default=True, help="Simulator seed."),
        click.option(
            "--cache",
            type=click.Path(file_okay=False),
            help="fastf1 cache folder (default ~/.cache/telecnn/fastf1).",
        ),
        click.option("--offline", is_flag=True, help="Use only fastf1's cache, no network."),
        click.option(
            "--corners",
            "corners_file",
            type=click.Path(dir_okay=False),
            help="The circuit's corners (JSON or CSV: CornerNumber or Number, X, Y, optional "
            "Letter, Distance) to number zones by; a --session has fastf1's.",
        ),
    ]
    return with_options(options)(func)


def pop_source(kwargs: dict[str, Any]) -> dict[str, Any]:
    """Take the source options out of a command's keyword arguments."""
    return {key: kwargs.pop(key) for key in SOURCE_KEYS if key in kwargs}


def check_source(source: dict[str, Any]) -> None:
    """The source options' own checks, which need no data: a command runs them before it
    loads a model or any library, so a usage error answers at once."""
    from telecnn.cli.errors import UserError
    from telecnn.telemetry.source_choice import check_one_source

    session, driver, files = source.get("session"), source.get("driver"), source.get("files")
    if session and not driver:
        raise UserError("--session needs --driver (a code such as VER, several, or all)")
    if (driver and not (session or files)) or (source.get("offline") and not session):
        raise UserError("--driver and --offline go with --session (--driver also with --file)")
    check_one_source(session, files, source.get("sim"))


def laps_from_options(
    session: str | None = None,
    driver: tuple[str, ...] = (),
    lap: str | None = None,
    files: tuple[str, ...] = (),
    laps_file: str | None = None,
    location_file: str | None = None,
    drivers_file: str | None = None,
    sim: str | None = None,
    sim_laps: int = 1,
    era: str | None = None,
    seed: int = 0,
    cache: str | None = None,
    offline: bool = False,
    corners_file: str | None = None,
    lap_filter: str = "clean",
    progress: bool = True,
) -> list[Any]:
    """Load the laps the shared options describe (exactly one of --session, --file, --sim),
    each with its status; what picking left out is said on stderr, one note a line."""
    from telecnn.telemetry.sources import load_laps

    check_source({"session": session, "driver": driver, "files": files, "sim": sim,
                  "offline": offline})  # fmt: skip
    notes: list[str] = []
    laps = load_laps(
        session=session,
        drivers=list(driver) or None,
        laps=lap,
        files=list(files),
        laps_file=laps_file,
        location_file=location_file,
        drivers_file=drivers_file,
        sim=sim,
        sim_laps=sim_laps,
        era=era,
        seed=seed,
        cache=cache,
        offline=offline,
        progress=progress,
        lap_filter=lap_filter,
        notes=notes,
    )
    for note in notes:
        click.echo(f"note: {note}", err=True)
    if corners_file is not None:
        from telecnn.telemetry.analysis.corners import with_corners
        from telecnn.telemetry.sources.corners import read_corners

        with_corners(laps, read_corners(corners_file), corners_file)
    from telecnn.telemetry.laps.notes import notes_summary

    for line in notes_summary(laps):  # per file and kind: never a line per lap
        click.echo(f"note: {line}", err=True)
    return laps


def race_source(source: dict[str, Any]) -> dict[str, Any]:
    """The source options of a whole-race command: a ``--session`` gives every lap of every
    driver unless told otherwise."""
    if source.get("session"):
        source = {**source, "lap": source.get("lap") or "all"}
        source["driver"] = source.get("driver") or ("all",)
    return source
