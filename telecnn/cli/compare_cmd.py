"""CLI command ``compare-laps``: laps side by side, zone by zone, with the time gap."""

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
from telecnn.cli.errors import UserError
from telecnn.cli.io_paths import check_paths
from telecnn.cli.source_options import laps_from_options, source_options
from telecnn.telemetry.events.taxonomy import EVENT_TYPES, POINT_EVENTS

#: Event types a comparison can be made on (intervals: they have zones).
ZONE_EVENTS = tuple(e for e in EVENT_TYPES if e not in POINT_EVENTS)


@click.command("compare-laps")
@source_options
@click.option(
    "--event",
    type=click.Choice(ZONE_EVENTS),
    default="braking",
    show_default=True,
    help="The zones to compare.",
)
@detector_options
@table_out_option("the zone table")
@figure_option("Figure: the laps' speed with their zones, and each one's time gap to the first.")
def compare_laps_command(
    event: str,
    detector: str,
    channels: str | None,
    model_path: Path | None,
    out: Path | None,
    plot: Path | None,
    **options: object,
) -> None:
    """Compare laps corner by corner: braking points, speeds and the time gap to the first lap.

    Give two laps or more: --session SPEC --driver VER,HAM (fastest laps), --file A --file B,
    or --sim CIRCUIT --sim-laps 2. The first lap (of the first driver named) is the reference.
    """
    check_paths()
    check_out(out)
    source, chans, chosen, _ = source_then_detector(detector, channels, model_path, options)
    from telecnn.telemetry.analysis.compare import compare_found, format_comparison
    from telecnn.telemetry.detector.running import detect_laps

    laps = in_driver_order(laps_from_options(**source), source.get("driver"))
    if source.get("lap") is None and len(laps) > len({lap.meta.driver for lap in laps}) > 1:
        # several laps a driver and no --lap: each driver's fastest, not every lap against one
        from telecnn.telemetry.sources.selection import select_laps

        lap_filter = source.get("lap_filter", "clean")
        laps, notes = select_laps(laps, None, "fastest", "the laps", lap_filter)
        laps = in_driver_order(laps, source.get("driver"))
        for note in notes:
            click.echo(f"note: {note}", err=True)
        click.echo(
            f"comparing each driver's fastest {lap_filter} lap (choose others with --lap)",
            err=True,
        )
    if len(laps) < 2:
        raise UserError(
            f"compare-laps needs two laps or more, got {len(laps)}: give several drivers, "
            "files or lap numbers (or --sim-laps 2)"
        )
    found = detect_laps(laps, chosen, chans, progress=len(laps) > 1)
    comparison = compare_found(laps, found, event, chans)
    click.echo(format_comparison(comparison))
    if out is not None:
        from telecnn.telemetry.sources.files import write_frame

        write_frame(comparison.zones, out)
        click.echo(f"wrote {out}")
    if plot is not None:
        from telecnn.atomic import save_figure
        from telecnn.telemetry.analysis.plots import plot_comparison

        save_figure(plot_comparison(list(laps), comparison), plot)
        click.echo(f"wrote {plot}")


def in_driver_order(laps: list, drivers: tuple[str, ...] | None) -> list:
    """The laps ordered as ``--driver`` names them (the first named is the reference); laps of
    one driver keep their order."""
    from telecnn.telemetry.sources.selection import normalise_drivers

    wanted = normalise_drivers(drivers) or []
    rank = {code: k for k, code in enumerate(wanted)}
    return sorted(laps, key=lambda lap: rank.get(str(lap.meta.driver).upper(), len(rank)))


def register(group: click.Group) -> None:
    """Add this module's command to the root group."""
    group.add_command(compare_laps_command)
