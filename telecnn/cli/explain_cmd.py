"""``telecnn explain``: the CNNs' first-layer filters beside the classic kernels, and why the
event CNN marked an event."""

from __future__ import annotations

from pathlib import Path

import click

from telecnn.cli.detection import check_out, parse_channels
from telecnn.cli.io_paths import check_paths
from telecnn.cli.source_options import laps_from_options, pop_source, source_options


def register(group: click.Group) -> None:
    """Add ``telecnn explain filters`` and ``telecnn explain event``."""
    group.add_command(explain)


@click.group("explain")
def explain() -> None:
    """What the CNNs learned: filters as pattern templates, and why an event was marked."""


@explain.command("filters")
@click.argument("run", metavar="[RUN_DIR_OR_CHECKPOINT]", required=False, type=click.Path())
@click.option(
    "--model",
    "model_path",
    type=click.Path(path_type=Path),
    help="A checkpoint or run folder (event or image model; default: the shipped event CNN).",
)
@click.option("--plot", type=click.Path(path_type=Path), help="Figure of every filter (png, pdf).")
@click.option("--out", type=click.Path(path_type=Path), help="The table as .csv, .json, .parquet.")
def filters_command(
    run: str | None, model_path: Path | None, plot: Path | None, out: Path | None
) -> None:
    """Every first-layer filter beside the classic kernel it resembles most."""
    from telecnn.explain.filters import explain_filters

    check_paths()
    check_out(out)
    report = explain_filters(model_path or run)
    click.echo(report.summary())
    if out is not None:
        from telecnn.telemetry.sources.files import write_frame

        write_frame(report.table, out)
        click.echo(f"wrote {out}")
    if plot is not None:
        from telecnn.atomic import save_figure
        from telecnn.explain.plots import plot_filters

        save_figure(plot_filters(report), plot)
        click.echo(f"wrote {plot}")


@explain.command("event")
@source_options
@click.option("--event", "event_type", required=True, help="Event type, e.g. braking.")
@click.option("--index", type=click.IntRange(1), help="Which event of that type: 1 = the first.")
@click.option("--at", "at_seconds", type=float, help="The event at (or nearest to) this time (s).")
@click.option("--model", "model_path", type=click.Path(path_type=Path), help="Detector checkpoint.")
@click.option("--channels", help="Read only these channels, e.g. Speed (default: all).")
@click.option("--plot", type=click.Path(path_type=Path), help="Figure of the attribution.")
@click.option(
    "--out", type=click.Path(path_type=Path), help="Per-sample attribution (.csv, .json)."
)
def event_command(
    event_type: str,
    index: int | None,
    at_seconds: float | None,
    model_path: Path | None,
    channels: str | None,
    plot: Path | None,
    out: Path | None,
    **options: object,
) -> None:
    """Why the CNN marked an event: each channel's and sample's share (integrated gradients).

    The first lap of the source is explained (choose it with --lap and --driver).
    """
    from telecnn.cli.errors import UserError

    check_paths()
    check_out(out)
    if (index is None) == (at_seconds is None):
        raise UserError("say which event: --index K (1 = the first) or --at SECONDS")
    from telecnn.explain.attribution import explain_event

    chans = parse_channels(channels)
    laps = laps_from_options(**pop_source(options), progress=False)
    why = explain_event(laps[0], event_type, index, at_seconds, model_path, chans)
    click.echo(why.summary())
    if out is not None:
        from telecnn.telemetry.sources.files import write_frame

        write_frame(why.table(), out)
        click.echo(f"wrote {out}")
    if plot is not None:
        from telecnn.atomic import save_figure
        from telecnn.explain.plots import plot_attribution

        save_figure(plot_attribution(why), plot)
        click.echo(f"wrote {plot}")
