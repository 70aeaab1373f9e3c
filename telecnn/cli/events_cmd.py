"""CLI commands for the event detector: ``detect-events``, ``train-events``, ``eval-events``."""

from __future__ import annotations

from pathlib import Path

import click

from telecnn.cli.common_options import device_option, resolve_run_folder, run_folder_options
from telecnn.cli.detection import (
    check_out,
    detector_options,
    figure_option,
    parse_channels,
    source_then_detector,
    table_out_option,
)
from telecnn.cli.errors import UserError
from telecnn.cli.io_paths import check_paths, is_folder_out, wrote
from telecnn.cli.source_options import ERAS, laps_from_options, source_options
from telecnn.cli.unit_runs import (
    by_units,
    finish,
    jobs_options,
    run_job,
    source_units,
    unit_job,
    unit_options,
    unit_tables,
    write_out,
)

#: Above this many laps the per-lap tables become one summary row per lap.
FULL_TABLE_LAPS = 5
#: ``train-events``' run folder when no --out is given.
DEFAULT_RUN_DIR = "runs/events"


@click.command("detect-events")
@source_options
@detector_options
@table_out_option("all events", folder=True)
@figure_option(
    "Figure of the lap's channels with the events shaded, and its track map (several "
    "laps: one file a lap, named after it)."
)
@click.option(
    "--batch-size",
    type=click.IntRange(1, 1024),
    default=64,
    show_default=True,
    help="Laps per forward pass.",
)
@click.option(
    "--verbose",
    "-v",
    is_flag=True,
    help=f"A line for every lap (over {FULL_TABLE_LAPS} laps the table is a block a driver).",
)
@click.option(
    "--min-confidence",
    type=click.FloatRange(0.0, 1.0),
    default=0.0,
    show_default=True,
    help="Keep only events at least this confident (the CNN's mean probability; rules: 1).",
)
@unit_options
def detect_events(
    detector: str,
    channels: str | None,
    model_path: Path | None,
    out: str | None,
    plot: Path | None,
    batch_size: int,
    verbose: bool,
    min_confidence: float,
    jobs: int | None,
    cluster: str | None,
    force: bool,
    **options: object,
) -> None:
    """Find braking zones, lift-and-coast, energy clipping, DRS, shifts, wheelspin and lock-ups.

    Sources: --session SPEC --driver D [--lap fastest|all|N], --file F [F ...], or --sim CIRCUIT
    (the embedded simulator, --era 2026 or 2025 cars; needs no network). Prints a table per
    lap with its seconds of clipping and lift-and-coast; over five laps, a block a driver
    (laps by status, event counts, energy per clean lap), --verbose a line a lap.

    Many sources (files, session folders, --session YEAR/*/R) run one a worker (--jobs, or a
    Dask --cluster); --out DIR/ writes one Parquet file a source, each as it is done, and a
    rerun skips those there.
    """
    check_paths()
    if not is_folder_out(out):
        check_out(out)  # before any library loads: a usage error answers at once
    source, chans, chosen, engine = source_then_detector(detector, channels, model_path, options)
    units = source_units(source)
    if by_units(units, out, jobs, cluster):
        if plot is not None:
            raise UserError("--plot draws one lap a file: give one source (or use summarize)")
        job = unit_job("detect-events", source, detector, model_path, chans, engine,
                       min_confidence=min_confidence, batch_size=batch_size)  # fmt: skip
        _detect_units(units, job, out, jobs, cluster, force)
        return
    out = None if out is None else Path(out)
    from telecnn.telemetry.analysis.corners import label_laps
    from telecnn.telemetry.analysis.tables import (
        ENERGY_TYPES,
        drivers_block,
        laps_table,
        write_events,
    )
    from telecnn.telemetry.detector.running import detect_laps
    from telecnn.telemetry.laps.schema import supported_events

    laps = laps_from_options(**source)
    found = detect_laps(laps, chosen, chans, batch_size=batch_size, progress=len(laps) > 1)
    found = label_laps(laps, found)
    if min_confidence > 0:
        found = [f[f["confidence"] >= min_confidence].reset_index(drop=True) for f in found]
    # seconds of clipping and lift-and-coast, where the channels read can show them
    energy = chans is None or bool(set(ENERGY_TYPES) & set(supported_events(chans)))
    if len(laps) <= FULL_TABLE_LAPS or verbose:
        click.echo(laps_table(laps, found, full=len(laps) <= FULL_TABLE_LAPS, energy=energy))
    else:
        click.echo(drivers_block(laps, found, energy=energy))
    if out is not None:
        write_events(out, laps, found)
        click.echo(f"wrote {out}")
    if plot is not None:
        from telecnn.telemetry.analysis.plots import save_lap_figures

        click.echo(wrote(save_lap_figures(laps, found, plot)))


def _detect_units(units, job, out, jobs, cluster, force) -> None:  # noqa: ANN001
    """detect-events over many sources: a line a source, the events to --out (a dataset
    folder, or one table), the tally."""
    tally = run_job(units, job, out, jobs, cluster, force)
    for result in tally.done:
        click.echo(f"{result.unit.name}: {result.laps} laps, {result.events} events")
    write_out(out, unit_tables(tally, units))
    finish(tally)


@click.command("train-events")
@click.option("--sim-laps", default=2000, show_default=True, help="Simulated laps to train on.")
@click.option(
    "--circuits", multiple=True, help="Simulator circuits (repeat or comma-separate; default: all)."
)
@click.option(
    "--era",
    "eras",
    type=click.Choice(ERAS),
    multiple=True,
    help="Simulated cars to train on (repeat; default: both, so the model reads 2026 cars "
    "without DRS and older ones with it).",
)
@click.option(
    "--file",
    "files",
    multiple=True,
    type=click.Path(),
    help="Real laps to learn from, labelled by the rules (any --file source: fastf1 exports, "
    "per-lap folders, globs): the way to teach the detector a new car, series or feed rate.",
)
@click.option(
    "--session",
    "sessions",
    multiple=True,
    help="fastf1 sessions YEAR/EVENT/SESSION to add (every lap of --driver).",
)
@click.option("--driver", "drivers", multiple=True, help="Drivers for --session (default: all).")
@click.option("--cache", type=click.Path(file_okay=False), help="fastf1 cache folder.")
@click.option("--offline", is_flag=True, help="fastf1 offline mode (cache only).")
@click.option("--channels", help="Comma-separated input channels (default: all six).")
@click.option("--epochs", default=8, show_default=True)
@click.option("--batch-size", type=click.IntRange(1, 4096), default=32, show_default=True)
@click.option("--lr", default=3e-3, show_default=True)
@click.option("--width", default=32, show_default=True, help="Channels of the conv trunk.")
@click.option("--seed", default=0, show_default=True)
@device_option
@run_folder_options(DEFAULT_RUN_DIR)
def train_events(
    sim_laps: int,
    circuits: tuple[str, ...],
    eras: tuple[str, ...],
    files: tuple[str, ...],
    sessions: tuple[str, ...],
    drivers: tuple[str, ...],
    cache: str | None,
    offline: bool,
    channels: str | None,
    epochs: int,
    batch_size: int,
    lr: float,
    width: int,
    seed: int,
    device: str,
    out: str | None,
    resume: str | None,
    force: bool,
) -> None:
    """Train the event CNN on simulated laps (exact labels) plus real laps (rule labels).

    The run folder gets checkpoint.pt and history.json each epoch. A resumed run trains with
    the options given now (the model's must match the checkpoint's).
    Works under torchrun (DDP): each rank trains on its share; rank 0 writes the checkpoint.
    """
    check_paths()
    from telecnn.telemetry.detector.config import DetectorTrainConfig
    from telecnn.telemetry.detector.loading import KIND
    from telecnn.telemetry.detector.train import train_detector
    from telecnn.telemetry.laps.schema import CHANNELS
    from telecnn.training import plan_run

    folder, resuming = resolve_run_folder(out, resume, DEFAULT_RUN_DIR)
    assert folder is not None
    # the shared run-folder rule, checked before any lap is loaded (train_detector applies it)
    plan = plan_run(folder, resume=resuming, force=force, kind=KIND, epochs=epochs)
    run_dir = plan.run_dir

    names = tuple(c.strip() for arg in circuits for c in arg.split(",") if c.strip()) or None
    real = []
    for spec in sessions:
        real += laps_from_options(
            session=spec, driver=drivers or ("all",), lap="all", cache=cache, offline=offline
        )
    if files:
        real += laps_from_options(files=files, driver=drivers)
    config = DetectorTrainConfig(
        sim_laps=sim_laps,
        circuits=names,
        eras=tuple(dict.fromkeys(eras)) or ERAS,
        channels=tuple(parse_channels(channels) or CHANNELS),
        epochs=epochs,
        batch_size=batch_size,
        lr=lr,
        width=width,
        seed=seed,
        device=device,
    )
    from telecnn.words import count

    detector, history = train_detector(
        config, run_dir, real_laps=real, resume_run=plan.resuming, force=force
    )
    from telecnn.atomic import write_json
    from telecnn.training.run_folder import is_main_process

    if not is_main_process():
        return  # rank 0 of a torchrun job writes the card and says what was trained
    detector.source = str(run_dir / "checkpoint.pt")
    card = write_json(run_dir / "model_card.json", detector.card)
    click.echo(f"trained {count(len(history), 'epoch')}; checkpoint {detector.source}")
    click.echo(detector.card_text())
    click.echo(f"wrote {card}")


@click.command("eval-events")
@source_options
@detector_options
@click.option("--out", type=click.Path(path_type=Path), help="Write the scores as JSON.")
@jobs_options
def eval_events(
    detector: str,
    channels: str | None,
    model_path: Path | None,
    out: Path | None,
    jobs: int | None,
    cluster: str | None,
    **options: object,
) -> None:
    """Score a detector against the rule labels (and the simulator's truth) of laps.

    The labels always come from all the lap's channels, whatever --channels the detector reads.
    Types whose rule the channels read check wholly (braking with Brake, DRS, lift-and-coast and
    clipping with Throttle, Brake and Speed) take their edges from those channels, so their
    scores say which stretches the CNN picks (a note says which types).

    Per event type: precision, recall, F1 (IoU >= 0.5 after widening by half the median sample
    interval; shifts within 0.5 s) and, for braking, the median onset error in metres. Many
    sources run one a worker (--jobs, --cluster), their counts summed.
    """
    check_paths()
    source, chans, chosen, engine = source_then_detector(detector, channels, model_path, options)
    from telecnn.atomic import write_json
    from telecnn.telemetry.detector.evaluate import format_scores, merge_scores, scores_table
    from telecnn.telemetry.detector.scoring import evaluate_laps

    units = source_units(source)
    tally = None
    if by_units(units, None, jobs, cluster):
        job = unit_job("eval-events", source, detector, model_path, chans, engine)
        tally = run_job(units, job, None, jobs, cluster, False)
        scores = merge_scores([r.scores for r in tally.done if r.scores])
        laps_count = sum(r.laps for r in tally.done)
    else:
        laps = laps_from_options(**source)
        scores = evaluate_laps(laps, chosen, chans, progress=len(laps) > 1)
        laps_count = len(laps)
    if chosen != "rules":
        click.echo(chosen.card_text())
    click.echo(f"{laps_count} laps, detector {detector}" + (f" on {channels}" if channels else ""))
    click.echo(format_scores(scores))
    if chosen != "rules" and chosen.channel_edges:
        from telecnn.telemetry.detector.postprocess import edge_types

        exact = [t for t in edge_types(chans or chosen.channels) if t in scores]
        if exact:
            click.echo(
                f"note: {', '.join(exact)} take their edges from the channels read: their scores "
                "say which stretches the CNN picks, not where it would put their edges",
                err=True,
            )
    if out is not None:
        write_json(
            out,
            {
                "laps": laps_count,
                "detector": detector,
                "channels": channels,
                "scores": scores_table(scores),
            },
        )
        click.echo(f"wrote {out}")
    if tally is not None:
        finish(tally)


def register(group: click.Group) -> None:
    """Add this module's commands to the root group."""
    for command in (detect_events, train_events, eval_events):
        group.add_command(command)
