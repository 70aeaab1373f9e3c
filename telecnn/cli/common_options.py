"""Options several commands share, declared once."""

from __future__ import annotations

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
