"""``telecnn telemetry``: simulate laps and show a lap's channels and rule events."""

from __future__ import annotations

import click

from telecnn.cli.io_paths import check_paths, wrote
from telecnn.cli.source_options import era_option, laps_from_options, pop_source, source_options


def register(group: click.Group) -> None:
    """Add the ``telemetry`` command group to the root group."""
    group.add_command(telemetry)


@click.group()
def telemetry() -> None:
    """Laps from fastf1, files or the simulator, and the rule event detector."""


@telemetry.command()
@click.option("--circuit", required=True, metavar="NAME", help="monza, barcelona or monaco.")
@click.option("--laps", "n_laps", type=click.IntRange(1), default=10, show_default=True)
@click.option("--seed", type=int, default=0, show_default=True)
@click.option(
    "--mode",
    type=click.Choice(["mixed", "quali", "race"]),
    default="mixed",
    show_default=True,
    help="Qualifying-like laps, race laps (fuel, traffic, DRS trains) or both.",
)
@click.option(
    "--feed",
    type=click.Choice(["car", "merged"]),
    default="car",
    show_default=True,
    help="car: fastf1 car data (~3.7 Hz); merged: with position samples (~7-8 Hz).",
)
@era_option
@click.option(
    "--out",
    required=True,
    type=click.Path(dir_okay=False),
    help="laps.csv, .parquet or .json (one row per sample, Driver and LapNumber columns).",
)
@click.option(
    "--truth",
    type=click.Path(dir_okay=False),
    help="Also write the true events (with a LapNumber column) to this file.",
)
def simulate(
    circuit: str,
    n_laps: int,
    seed: int,
    mode: str,
    feed: str,
    era: str,
    out: str,
    truth: str | None,
) -> None:
    """Simulate laps on a built-in circuit and write them in the multi-lap file format."""
    check_paths()
    import numpy as np
    import pandas as pd

    from telecnn.telemetry.simulate import simulate_laps
    from telecnn.telemetry.sources.files import write_frame, write_laps

    laps = simulate_laps(circuit, n_laps, seed=seed, mode=mode, feed=feed, progress=True, era=era)
    write_laps(laps, out)
    if truth:
        events = pd.concat([lap.truth for lap in laps], ignore_index=True)
        sizes = [len(lap.truth) for lap in laps]
        events["LapNumber"] = np.repeat([lap.meta.lap_number for lap in laps], sizes)
        write_frame(events, truth)
    samples = sum(len(lap) for lap in laps)
    best = min(lap.meta.lap_time for lap in laps)
    click.echo(
        f"wrote {n_laps} laps of {circuit}, {era} cars ({samples} samples, "
        f"fastest {best:.3f} s) to {out}"
    )
    if truth:
        click.echo(f"wrote the true events to {truth}")


@telemetry.command()
@source_options
@click.option(
    "--plot",
    type=click.Path(dir_okay=False),
    help="Save the lap's channels, rule events and track map (png, pdf, svg; several laps: "
    "one file a lap, named after it).",
)
@click.option("--speed-rules", is_flag=True, help="Use the speed-only braking baseline instead.")
@click.option(
    "--max-rows",
    type=click.IntRange(1),
    default=60,
    show_default=True,
    help="Most events printed per lap.",
)
def show(plot: str | None, speed_rules: bool, max_rows: int, **kwargs: object) -> None:
    """Print each lap's rule events; optionally plot each lap.

    Give one source: --session SPEC --driver D, --file F or --sim CIRCUIT.
    """
    check_paths()
    from telecnn.telemetry.analysis.corners import label_laps
    from telecnn.telemetry.analysis.tables import laps_table
    from telecnn.telemetry.events.rules import rule_events, speed_rule_events

    laps = laps_from_options(**pop_source(kwargs))
    detect = speed_rule_events if speed_rules else rule_events
    found = label_laps(laps, [detect(lap) for lap in laps])
    click.echo(laps_table(laps, found, max_rows=max_rows, energy=not speed_rules))
    if plot:
        from telecnn.telemetry.analysis.plots import save_lap_figures

        click.echo(wrote(save_lap_figures(laps, found, plot)))
