"""CLI command ``summarize``: a race (or any laps) as one table per driver and lap, the medians
per driver, and the energy picture as a figure."""

from __future__ import annotations

from pathlib import Path

import click

from telecnn.cli.detection import (
    check_out,
    detector_options,
    figure_option,
    source_then_detector,
    table_out_option,
)
from telecnn.cli.io_paths import check_paths, is_folder_out
from telecnn.cli.source_options import laps_from_options, source_options
from telecnn.cli.unit_runs import (
    by_units,
    finish,
    run_job,
    source_units,
    unit_job,
    unit_options,
    unit_tables,
    write_out,
)

#: Above this many laps the per-lap table goes to --out only; the medians are printed.
PRINTED_LAPS = 60


@click.command("summarize")
@source_options
@detector_options
@table_out_option("the per-lap table", folder=True)
@figure_option(
    "Figure: lift-and-coast, clipping and lap time per driver, lap by lap (several sources: "
    "the energy seconds per driver, race by race)."
)
@click.option("--verbose", "-v", is_flag=True, help="Print every lap's row, however many.")
@unit_options
def summarize_command(
    detector: str,
    channels: str | None,
    model_path: Path | None,
    out: str | None,
    plot: Path | None,
    verbose: bool,
    jobs: int | None,
    cluster: str | None,
    force: bool,
    **options: object,
) -> None:
    """Per driver and lap: status, lap time, braking, lift-and-coast, clipping, DRS, shifts,
    speeds (and tyres, stint, pits and track status where timing says them); then per driver
    (and stint) the medians over the laps --laps-filter counts (clean laps by default).

    Sources as for detect-events; every lap (a --session: every driver too) unless told. Many
    sources (a season: files, session folders, --session YEAR/*/R) run one a worker and give
    per driver and race the medians over clean laps; --out DIR/ writes one file a source.
    """
    check_paths()
    if not is_folder_out(out):
        check_out(out)  # before any library loads: a usage error answers at once
    source, chans, chosen, engine = source_then_detector(
        detector, channels, model_path, options, True
    )
    units = source_units(source)
    if by_units(units, out, jobs, cluster):
        job = unit_job("summarize", source, detector, model_path, chans, engine)
        _season(units, job, out, plot, jobs, cluster, force)
        return
    out = None if out is None else Path(out)
    from telecnn.telemetry.analysis.lap_summary import (
        driver_medians,
        format_summary,
        no_lap_time,
        status_counts,
        summarize_laps,
    )
    from telecnn.telemetry.analysis.tables import session_name
    from telecnn.telemetry.detector.running import detect_laps
    from telecnn.words import count

    lap_filter = source.get("lap_filter", "clean")
    laps = laps_from_options(**source)
    found = detect_laps(laps, chosen, chans, progress=len(laps) > 1)
    table = summarize_laps(laps, found, chans)
    click.echo(f"{session_name(laps)}: {count(len(laps), 'lap')}, detector {detector}")
    if len(table) <= PRINTED_LAPS or verbose:
        click.echo(format_summary(table.drop(columns="whole")))
    else:
        click.echo("laps by status (the per-lap table: --out FILE or --verbose)")
        click.echo(format_summary(status_counts(table)))
    stints = " and stint" if "stint" in table and table["stint"].notna().any() else ""
    click.echo(f"per driver{stints}, medians over {lap_filter} laps")
    click.echo(format_summary(driver_medians(table, lap_filter)))
    missing = no_lap_time(table)
    if missing:
        have = "has" if missing == 1 else "have"
        click.echo(
            f"note: {missing} of {count(len(table), 'lap')} {have} no lap time (shown as -)",
            err=True,
        )
    if out is not None:
        from telecnn.telemetry.sources.files import write_frame

        write_frame(table, out)
        click.echo(f"wrote {out}")
    if plot is not None:
        from telecnn.atomic import save_figure
        from telecnn.telemetry.analysis.race_plots import plot_summary

        save_figure(plot_summary(table, session_name(laps), laps[0].meta.year), plot)
        click.echo(f"wrote {plot}")


def _season(units, job, out, plot, jobs, cluster, force) -> None:  # noqa: ANN001
    """summarize over many sources: per driver and race the medians over the laps that count,
    the per-lap rows to --out (a dataset folder, or one table), the season figure."""
    import pandas as pd

    from telecnn.telemetry.analysis.lap_summary import format_summary
    from telecnn.telemetry.analysis.season import plot_season, season_medians

    tally = run_job(units, job, out, jobs, cluster, force)
    tables = unit_tables(tally, units, Path(out) if is_folder_out(out) else None)
    summary = pd.concat(tables, ignore_index=True) if tables else pd.DataFrame()
    medians = season_medians(summary, job.lap_filter) if len(summary) else None
    if medians is not None:
        click.echo(f"per driver and source, medians over {job.lap_filter} laps")
        click.echo(format_summary(medians))
    write_out(out, [summary])
    if plot is not None and medians is not None:
        from telecnn.atomic import save_figure

        save_figure(plot_season(medians), plot)
        click.echo(f"wrote {plot}")
    finish(tally)


def register(group: click.Group) -> None:
    """Add this module's command to the root group."""
    group.add_command(summarize_command)
