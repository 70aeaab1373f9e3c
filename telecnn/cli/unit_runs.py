"""What ``detect-events``, ``summarize`` and ``eval-events`` share when given many sources:
``--jobs``, ``--cluster`` and ``--force``, when a command runs unit by unit, and the job and
tally that go with it (:mod:`telecnn.telemetry.units`)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from telecnn.cli.common_options import with_options
from telecnn.cli.errors import UserError
from telecnn.cli.io_paths import is_folder_out


def unit_options(func: Callable[..., Any]) -> Callable[..., Any]:
    """``--jobs``, ``--cluster`` and ``--force``: how many sources run at once, and where, and
    whether a dataset folder's files are redone."""
    return _force_option(jobs_options(func))


def jobs_options(func: Callable[..., Any]) -> Callable[..., Any]:
    """``--jobs`` and ``--cluster`` alone (a command that writes no dataset folder)."""
    options = [
        click.option(
            "--jobs",
            "-j",
            type=click.IntRange(1, 256),
            default=None,
            help="Sources processed at once, one a worker process (default: the cores). Each "
            "file, per-lap session folder or fastf1 session is one source.",
        ),
        click.option(
            "--cluster",
            metavar="ADDRESS|local",
            help="Run the sources on a Dask cluster (tcp://scheduler:8786) or a LocalCluster "
            "of --jobs workers ('local'); needs pip install 'telecnn[dask]'.",
        ),
    ]
    return with_options(options)(func)


_force_option = click.option(
    "--force",
    is_flag=True,
    help="With --out DIR/: redo every source, replacing the folder's files (without it, "
    "sources already there are skipped and another run's files are refused).",
)


def source_units(source: dict[str, Any]) -> list[Any] | None:
    """The units of a command's sources (None for the simulator: it is one source)."""
    from telecnn.telemetry.units.units import units_from

    if source.get("sim"):
        return None
    sessions = [source["session"]] if source.get("session") else []
    return units_from(list(source.get("files") or ()), sessions)


def by_units(
    units: list[Any] | None, out: Path | None, jobs: int | None, cluster: str | None
) -> bool:
    """Whether a command runs unit by unit: several sources of many laps each (a season; a few
    single-lap files are one session's laps, read together), a dataset folder as ``--out``,
    ``--jobs``/``--cluster`` asked for, or one file far larger than a race."""
    if units is None:
        if jobs is not None or cluster is not None or is_folder_out(out):
            raise UserError("--jobs, --cluster and --out DIR/ take files or sessions, not --sim")
        return False
    if is_folder_out(out) or jobs is not None or cluster is not None:
        return True
    from telecnn.telemetry.units.units import many_laps

    if len(units) > 1 and any(many_laps(u) for u in units):
        return True
    from telecnn.telemetry.sources.files import chunked

    # one file far larger than a race: read and worked through a chunk at a time
    return len(units) == 1 and len(units[0].files) == 1 and chunked(units[0].files[0])


def unit_job(
    command: str,
    source: dict[str, Any],
    detector: str,
    model_path: Path | None,
    chans: list[str] | None,
    engine: str = "numpy",
    **extra: Any,
) -> Any:
    """The job every unit is given: the command, its detector, channels and lap choices."""
    from telecnn.telemetry.units.work import UnitJob

    drivers = tuple(source.get("driver") or ()) or None
    return UnitJob(
        command=command,
        detector=str(model_path) if detector == "cnn" and model_path is not None else detector,
        engine=engine,
        channels=tuple(chans) if chans else None,
        drivers=None if drivers and "all" in [d.lower() for d in drivers] else drivers,
        laps=source.get("lap"),
        lap_filter=source.get("lap_filter", "clean"),
        laps_file=source.get("laps_file"),
        location_file=source.get("location_file"),
        drivers_file=source.get("drivers_file"),
        corners_file=source.get("corners_file"),
        cache=source.get("cache"),
        offline=bool(source.get("offline")),
        **extra,
    )


def run_job(
    units: list[Any],
    job: Any,
    out: Path | None,
    jobs: int | None,
    cluster: str | None,
    force: bool,
) -> Any:
    """Run ``job`` on the units (a dataset folder when ``out`` is one); each failed unit's
    reason on stderr. Returns the tally; a stopped run ends here with its line and code."""
    from dataclasses import replace

    from telecnn.telemetry.units.engines import run_units, stopped_error

    folder = out if is_folder_out(out) else None
    if len(units) == 1 and cluster is None:  # one large file: its own progress, in this process
        job, jobs = replace(job, progress=True), 1
    tally = run_units(units, job, folder, jobs, cluster, force)
    for result in tally.done:
        for note in result.notes:
            click.echo(f"note: {note}", err=True)
    for result in tally.failed:
        click.echo(f"failed: {result.error}", err=True)
    if tally.stopped:
        raise stopped_error(tally, job.command, folder)
    return tally


def unit_tables(tally: Any, units: list[Any], folder: Path | None = None) -> list[Any]:
    """The units' tables in the units' order (not the order they finished in), those a rerun
    skipped read back from ``folder`` where given."""
    done = {r.unit.name: r.table for r in tally.done if r.table is not None}
    if folder is not None and tally.skipped:
        from telecnn.telemetry.units.dataset import read_units

        done |= read_units(folder, [u for u in units if u.name in tally.skipped])
    return [done[u.name] for u in units if u.name in done]


def write_out(out: Path | None, tables: list[Any]) -> None:
    """``--out`` of a run by units: the dataset folder the units were written into, or one
    table of them all."""
    if out is None:
        return
    if is_folder_out(out):
        click.echo(f"wrote {out} (one file a source; read it back with pandas.read_parquet)")
        return
    import pandas as pd

    from telecnn.telemetry.sources.files import write_frame

    write_frame(pd.concat(tables, ignore_index=True) if tables else pd.DataFrame(), out)
    click.echo(f"wrote {out}")


def finish(tally: Any) -> None:
    """End with the tally: one line on stdout when every unit is done, else one error line
    (exit 2) after the others finished."""
    if tally.failed:
        raise UserError(tally.line())
    click.echo(tally.line())
