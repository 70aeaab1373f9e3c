"""Inputs are never outputs: a command's paths checked once, before any work.

:func:`check_paths` reads the running command's options from click's context. Its outputs
(:data:`OUTPUTS`) must be distinct files, none of them one of its inputs (:data:`INPUTS`:
``--file`` as the files its folders and globs stand for, a run folder as its checkpoint),
links followed; a ``--plot`` must name a figure format. A refusal is one line (exit 2) and
nothing is written. The inputs then stay protected until the command ends
(:func:`telecnn.atomic.inputs_protected`), so no output written later (a per-lap figure, a
file in a run folder) can replace one either.
"""

from __future__ import annotations

import glob
import os
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import click

from telecnn.cli.errors import UserError

#: Parameters that name a command's inputs, and the option each is given with.
INPUTS: dict[str, str] = {
    "files": "--file",
    "file": "--file",
    "laps_file": "--laps",
    "location_file": "--location",
    "drivers_file": "--drivers-file",
    "corners_file": "--corners",
    "model_path": "--model",
    "run": "RUN",
    "data_dir": "--data-dir",
}
#: Parameters that name a command's output files.
OUTPUTS: dict[str, str] = {
    "out": "--out",
    "plot": "--plot",
    "truth": "--truth",
    "json_path": "--json",
}
#: Commands whose ``--out`` and ``--resume`` name a run folder, which the run writes into.
RUN_FOLDER_COMMANDS = ("train-events", "train-images")
#: Commands whose ``--out`` may name a dataset folder (one file a unit written into it).
DATASET_COMMANDS = ("detect-events", "summarize")
#: The figure formats ``--plot`` may name (matplotlib's, by suffix; none: PNG).
FIGURE_SUFFIXES = (".png", ".pdf", ".svg", ".svgz", ".eps", ".ps", ".jpg", ".jpeg", ".tif",
                   ".tiff", ".webp")  # fmt: skip


def is_folder_out(out: str | Path | None) -> bool:
    """Whether ``--out`` names a dataset folder: one that exists, or a name ending in ``/``."""
    return out is not None and (str(out).endswith(("/", "\\")) or Path(out).is_dir())


def check_paths(ctx: click.Context | None = None) -> None:
    """Refuse, before any work, outputs that are one file, an output that is an input, and a
    ``--plot`` that names no figure format; then protect the inputs until the command ends."""
    from telecnn.atomic import check_output, inputs_protected, same_file

    ctx = ctx or click.get_current_context()
    params = ctx.params
    inputs = list(_inputs(params))
    if ctx.command.name in RUN_FOLDER_COMMANDS:
        _check_run_folder(params, inputs)
        outputs = []
    else:
        folder = ctx.command.name in DATASET_COMMANDS and is_folder_out(params.get("out"))
        if folder:  # a dataset folder, written into like a run folder
            _check_run_folder({"out": params["out"]}, inputs)
        outputs = [
            (flag, params[name])
            for name, flag in OUTPUTS.items()
            if params.get(name) and not (folder and name == "out")
        ]
    # the inputs are protected first, until the command ends: every output is then checked
    # against them by the one check all writes pass (check_output), here before any work
    ctx.with_resource(inputs_protected((path, what) for what, path in inputs))
    for k, (flag, path) in enumerate(outputs):
        for other_flag, other in outputs[:k]:
            if same_file(path, other):
                raise UserError(
                    f"{other_flag} {other} and {flag} {path} are one file: give each output "
                    "its own name (nothing written)"
                )
        check_output(path)  # not an input, no folder, no block device (one line, exit 2)
    plot = params.get("plot")
    if plot and Path(plot).suffix.lower() not in (*FIGURE_SUFFIXES, ""):
        raise UserError(f"--plot {plot}: use a figure format ({', '.join(FIGURE_SUFFIXES)})")


def _inputs(params: dict[str, Any]) -> Iterable[tuple[str, Path]]:
    """Each input file with how it was given (``--file laps/`` for a file of that folder)."""
    for name, flag in INPUTS.items():
        values = params.get(name)
        if not values:
            continue
        for value in values if isinstance(values, (list, tuple)) else [values]:
            given = f"{flag} {value}" if flag != "RUN" else str(value)
            for path in _files_of(name, Path(value)):
                where = "" if path == Path(value) else f" ({path.name})"
                yield f"the input {given}{where}", path


def _files_of(name: str, path: Path) -> Sequence[Path]:
    """The files an input stands for: ``--file``'s folders and globs as the reader expands
    them, a run folder's checkpoint, every file of ``--data-dir``; else the path itself."""
    if name in ("files", "file") and (path.is_dir() or _is_glob(path)):
        from telecnn.errors import TelecnnError
        from telecnn.telemetry.sources.paths import expand_paths

        try:
            return expand_paths([path])
        except TelecnnError:
            return [path]  # nothing there: the reader says so
    if name in ("model_path", "run") and path.is_dir():
        from telecnn.training.checkpoint import CHECKPOINT_NAME  # torch: the model needs it

        return [path / CHECKPOINT_NAME]
    if name == "data_dir" and path.is_dir():
        return sorted(p for p in path.iterdir() if p.is_file())
    return [path]


def _is_glob(path: Path) -> bool:
    return not path.exists() and glob.has_magic(str(path))


def _check_run_folder(params: dict[str, Any], inputs: list[tuple[str, Path]]) -> None:
    """A trainer's run folder (``--out`` or ``--resume``), or a dataset folder, may hold none
    of its inputs: the run writes its files there (and ``--force`` clears them)."""
    for flag in ("out", "resume"):
        folder = params.get(flag)
        if not folder:
            continue
        real = os.path.realpath(folder)
        for what, path in inputs:
            if os.path.realpath(path).startswith(real + os.sep) or os.path.realpath(path) == real:
                raise UserError(
                    f"--{flag} {folder} holds {what}: a run writes its files in its folder; "
                    "keep inputs elsewhere (nothing written)"
                )


def wrote(paths: Sequence[str | os.PathLike[str]]) -> str:
    """``wrote A`` or ``wrote A and 2 more``: the files really written, each counted once."""
    distinct = list(dict.fromkeys(str(p) for p in paths))
    more = f" and {len(distinct) - 1} more" if len(distinct) > 1 else ""
    return f"wrote {distinct[0]}{more}" if distinct else "wrote nothing"
