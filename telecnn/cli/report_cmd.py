"""CLI command ``report``: a race as one self-contained HTML page."""

from __future__ import annotations

from pathlib import Path

import click

from telecnn.cli.detection import detector_options, source_then_detector
from telecnn.cli.errors import UserError
from telecnn.cli.io_paths import check_paths
from telecnn.cli.source_options import laps_from_options, source_options


@click.command("report")
@source_options
@detector_options
@click.option(
    "--out",
    type=click.Path(path_type=Path, dir_okay=False),
    required=True,
    help="The .html page to write (one file: figures embedded, viewable offline).",
)
def report_command(
    detector: str,
    channels: str | None,
    model_path: Path | None,
    out: Path,
    **options: object,
) -> None:
    """One HTML page of a race or session: the summary per driver, the energy chart, each
    driver's fastest lap with its events, and the two fastest compared corner by corner.

    Sources as for summarize (a --session: every driver, every lap, unless given). The page is
    written once it is whole: a failure leaves any earlier page as it was.
    """
    check_paths()
    if out.suffix.lower() not in (".html", ".htm"):
        raise UserError(f"--out {out}: the report is an .html file")
    source, chans, chosen, _ = source_then_detector(detector, channels, model_path, options, True)
    lap_filter = source.get("lap_filter", "clean")
    from telecnn.atomic import write_text
    from telecnn.telemetry.analysis.report import build_report
    from telecnn.telemetry.detector.running import detect_laps

    laps = laps_from_options(**source)
    found = detect_laps(laps, chosen, chans, progress=len(laps) > 1)
    click.echo(f"building the report of {len(laps)} laps", err=True)
    write_text(out, build_report(laps, found, chans, detector=detector, lap_filter=lap_filter))
    click.echo(f"wrote {out}")


def register(group: click.Group) -> None:
    """Add this module's command to the root group."""
    group.add_command(report_command)
