"""Options several commands share, declared once."""

from __future__ import annotations

import os
from collections.abc import Callable

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


def run_folder_options(default: str) -> Callable[[Callable], Callable]:
    """``--out``, ``--resume`` and ``--force``: every trainer's run folder, the same way.

    A new run goes to ``--out`` (``default`` says where without it), refused where a run
    already is unless ``--force``; ``--resume RUN_DIR`` continues a run in place (bare
    ``--resume``: the ``--out`` folder). :func:`resolve_run_folder` turns the three into a
    folder and whether to resume; :func:`telecnn.training.plan_run` checks it.
    """
    options = [
        click.option(
            "--out",
            metavar="RUN_DIR",
            type=click.Path(),
            default=None,
            help=f"Folder of a new run (default: {default}). Refused if it holds a run already, "
            "unless --force.",
        ),
        click.option(
            "--resume",
            metavar="[RUN_DIR]",
            type=click.Path(),
            is_flag=False,
            flag_value="",
            default=None,
            help="Continue the run in RUN_DIR (bare --resume: the --out folder). A larger "
            "--epochs than it had extends it (the schedule re-planned); a complete run is "
            "refused (exit 2).",
        ),
        click.option(
            "--force",
            is_flag=True,
            help="Start a new run in --out even if it holds one (the old run's checkpoint, "
            "history and results are removed).",
        ),
    ]

    return with_options(options)


def resolve_run_folder(
    out: str | None, resume: str | None, default_out: str | None
) -> tuple[str | None, bool]:
    """The run folder (``None``: the trainer's default) and whether to resume it."""
    from telecnn.cli.errors import UserError

    if resume is None:
        return out or default_out, False
    if resume == "":  # bare --resume: the --out folder
        if not (out or default_out):
            raise UserError("--resume needs the run folder: --resume RUN_DIR")
        return out or default_out, True
    if out is not None and os.path.normpath(out) != os.path.normpath(resume):
        raise UserError(f"--resume continues {resume} in place: drop --out {out}")
    return resume, True


def with_options(options: list[Callable]) -> Callable[[Callable], Callable]:
    """One decorator of several click options, in the order ``--help`` lists them."""

    def decorate(command: Callable) -> Callable:
        for option in reversed(options):
            command = option(command)
        return command

    return decorate
