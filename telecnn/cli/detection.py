"""What the commands that run a detector share: the --detector/--channels/--model options,
reading them (the detector is loaded before any lap, so a bad model fails first), and checking
an --out table's suffix before any work is done."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from telecnn.cli.common_options import with_options
from telecnn.cli.errors import UserError


def detector_options(func: Callable[..., Any]) -> Callable[..., Any]:
    """``--detector cnn|rules``, ``--channels`` and ``--model``, for the commands that detect."""
    options = [
        click.option(
            "--detector",
            type=click.Choice(["cnn", "rules"]),
            default="cnn",
            show_default=True,
            help="The CNN or the rule detector (the baseline).",
        ),
        click.option(
            "--channels",
            help="Comma-separated channels the detector may read, e.g. Speed or Speed,Throttle "
            "(default: every channel the lap and the model have).",
        ),
        click.option(
            "--model",
            "model_path",
            type=click.Path(path_type=Path),
            help="A detector checkpoint or run folder (default: the shipped model).",
        ),
        click.option(
            "--engine",
            type=click.Choice(["numpy", "torch"]),
            default="numpy",
            show_default=True,
            help="Run the CNN on NumPy (telecnn.kernels; the shipped model needs no torch) or "
            "on torch (CUDA when present, else the CPU).",
        ),
    ]
    return with_options(options)(func)


def table_out_option(what: str, folder: bool = False) -> Callable[..., Any]:
    """``--out``: write ``what`` as a table (CSV, JSON records or Parquet); with ``folder``,
    or as a dataset folder (``DIR/``: one Parquet file a source), its name kept as given."""
    if folder:
        return click.option(
            "--out",
            type=click.Path(),
            help=f"Write {what} to .csv, .json (a list of records) or .parquet, or to a folder "
            "(DIR/: one Parquet file a source, pandas.read_parquet(DIR) reads them all).",
        )
    return click.option(
        "--out",
        type=click.Path(path_type=Path),
        help=f"Write {what} to .csv, .json (a list of records) or .parquet.",
    )


def figure_option(help_text: str) -> Callable[..., Any]:
    """``--plot``: save a figure (png, pdf, svg by its suffix)."""
    return click.option("--plot", type=click.Path(path_type=Path), help=help_text)


def parse_channels(value: str | None) -> list[str] | None:
    """``Speed,Throttle`` as a list (None when not given); an empty list is refused."""
    if value is None:
        return None
    channels = [c.strip() for c in value.split(",") if c.strip()]
    if not channels:
        raise UserError(f"--channels {value!r} names no channel: give e.g. Speed or Speed,Brake")
    return channels


def check_out(path: Path | None) -> None:
    """Refuse an --out the writer cannot write before any work is done."""
    from telecnn.telemetry.table_formats import SUFFIXES

    if path is not None and Path(path).suffix.lower() not in SUFFIXES:
        raise UserError(f"--out {path}: use a {', '.join(SUFFIXES)} file")


def resolve_detector(
    detector: str, channels: str | None, model_path: Path | None, engine: str = "numpy"
) -> tuple[list[str] | None, Any]:
    """The channels asked for and the detector chosen: a loaded CNN (--model, else the
    shipped one; its forward pass on ``engine``) or ``"rules"``."""
    from telecnn.telemetry.detector.running import choose_detector

    chans = parse_channels(channels)
    chosen = model_path if detector == "cnn" and model_path is not None else detector
    if engine == "torch" and detector == "cnn":
        from telecnn.device import pick_device
        from telecnn.telemetry.detector.loading import load_detector

        chosen = load_detector(model_path, device=pick_device(), engine="torch")
    return chans, choose_detector(chosen, chans, engine)


def source_then_detector(
    detector: str,
    channels: str | None,
    model_path: Path | None,
    options: dict[str, Any],
    whole_race: bool = False,
) -> tuple[dict[str, Any], list[str] | None, Any, str]:
    """A detecting command's start: its source options taken out of ``options`` and checked
    (``whole_race``: a session means every lap of every driver), then its detector loaded, so
    a usage error answers before any model or library loads. Returns the source options, the
    channels, the detector and the engine it runs on (what workers load it with)."""
    from telecnn.cli.source_options import check_source, pop_source, race_source

    source = pop_source(options)
    source = race_source(source) if whole_race else source
    check_source(source)
    engine = str(options.pop("engine", "numpy"))
    chans, chosen = resolve_detector(detector, channels, model_path, engine)
    return source, chans, chosen, engine
