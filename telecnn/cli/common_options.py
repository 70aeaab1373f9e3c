"""Options several commands share, declared once."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

#: ``--device``: the notebook's rule by default (CUDA when present, else CPU).
device_option = click.option(
    "--device",
    type=click.Choice(["auto", "cpu", "cuda"]),
    default="auto",
    show_default=True,
    help="auto: CUDA when present, else CPU.",
)

#: ``--data-dir``: where the FashionMNIST IDX files are.
data_dir_option = click.option(
    "--data-dir",
    type=click.Path(file_okay=False),
    default=None,
    help="Folder with the four FashionMNIST IDX files (.gz or raw).",
)


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
    ]
    for option in reversed(options):
        func = option(func)
    return func
