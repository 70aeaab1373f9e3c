"""The one rule for a trainer's run folder: start a new run, replace one, or continue one.

Every trainer asks :func:`plan_run` before it builds anything: a new run is refused in a folder
that already holds one (a checkpoint, or the pipeline's mark of a finished run) unless
``force`` is given; a resumed run needs a checkpoint of the right kind, and more epochs to
train than it has (a larger ``epochs`` extends a finished run). The answer, a :class:`RunPlan`,
carries the checkpoint to continue from. Nothing is written or removed here, so every rank of
a ``torchrun`` job may ask; only :meth:`RunPlan.discard_previous` (rank 0) removes files.

A run folder belongs to one process: :func:`hold_run_folder` takes an OS lock on it for the
whole run (released by the OS when the process ends, however it ends), so a second run started
on it at the same moment is refused instead of silently overwriting the first.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

try:
    import fcntl
except ImportError:  # Windows has no fcntl: runs there are not locked
    fcntl = None  # type: ignore[assignment]

from telecnn.atomic import write_failure
from telecnn.errors import RunCompleteError, RunFolderError, WriteError
from telecnn.training.checkpoint import CHECKPOINT_NAME, HISTORY_NAME, load_checkpoint
from telecnn.words import count


@dataclass(frozen=True)
class RunPlan:
    """What a trainer does with its run folder: continue ``state``, or start a new run
    (``replaces``: over an earlier one, given ``force``)."""

    run_dir: Path
    state: dict[str, Any] | None = None
    replaces: bool = False
    finished_marker: str | None = None

    @property
    def resuming(self) -> bool:
        return self.state is not None

    @property
    def checkpoint(self) -> Path:
        return self.run_dir / CHECKPOINT_NAME

    @property
    def done_epochs(self) -> int:
        """Epochs the checkpoint to continue holds (0 for a new run)."""
        return 0 if self.state is None else int(self.state.get("epoch", 0))

    def check_epochs(self, epochs: int) -> None:
        """Refuse to resume a run with no epoch left to train before ``epochs``.

        A run at its last epoch whose ``finished_marker`` file is missing (stopped while
        finishing) is not complete: its trainer only finishes it.
        """
        done = self.done_epochs
        if self.state is None or done < epochs:
            return
        hint = f"give --epochs above {done} to extend it"
        if done > epochs:
            raise RunFolderError(
                f"{self.run_dir} has {count(done, 'epoch')} already, more than --epochs "
                f"{epochs}: {hint}"
            )
        if self.finished_marker is None or (self.run_dir / self.finished_marker).is_file():
            raise RunCompleteError(
                f"{self.run_dir} is already complete ({count(done, 'epoch')}): {hint}"
            )

    def discard_previous(self) -> None:
        """Remove the replaced run's checkpoint, history and finished mark (if ``replaces``),
        so an interrupted new run never resumes as the old one. Call it on rank 0 only."""
        if not self.replaces:
            return
        for name in (CHECKPOINT_NAME, HISTORY_NAME, self.finished_marker):
            if name is not None:
                (self.run_dir / name).unlink(missing_ok=True)


def plan_run(
    run_dir: str | os.PathLike[str],
    *,
    resume: bool,
    force: bool = False,
    kind: str | None = None,
    epochs: int | None = None,
    finished_marker: str | None = None,
) -> RunPlan:
    """Check ``run_dir`` for a new run (``resume=False``) or a resumed one, and say what to do.

    ``kind`` is the checkpoint kind the trainer continues; ``epochs`` (when known here) the
    epochs the resumed run should reach (:meth:`RunPlan.check_epochs`); ``finished_marker``
    a file the trainer writes last, marking a finished run. When resuming, ``run_dir`` may
    name the checkpoint file itself. Raises :class:`~telecnn.errors.RunFolderError` (one line).
    """
    path = Path(run_dir)
    if resume:
        if force:
            raise RunFolderError(
                "--force starts a new run and --resume continues one: give only one of them"
            )
        checkpoint = path if path.is_file() else path / CHECKPOINT_NAME
        if not checkpoint.is_file():
            raise RunFolderError(f"nothing to resume: no checkpoint in {path}")
        plan = RunPlan(
            checkpoint.parent, load_checkpoint(checkpoint, kind=kind), False, finished_marker
        )
        if epochs is not None:
            plan.check_epochs(epochs)
        return plan
    marks = [CHECKPOINT_NAME] + ([finished_marker] if finished_marker else [])
    holds_run = any((path / name).exists() for name in marks)
    if holds_run and not force:
        raise RunFolderError(
            f"{path} already holds a run: continue it with --resume {path}, "
            "start it over with --force, or pick another --out"
        )
    return RunPlan(path, None, holds_run, finished_marker)


#: The lock file a running trainer holds in its run folder (it stays there, unlocked, after).
LOCK_NAME = ".lock"


def is_main_process() -> bool:
    """True but in a non-zero rank of a ``torchrun`` job (which writes and prints nothing)."""
    return os.environ.get("RANK", "0") == "0"


@contextmanager
def hold_run_folder(run_dir: str | os.PathLike[str] | None, create: bool = True) -> Iterator[None]:
    """Hold an exclusive OS lock (``flock``) on ``run_dir`` while the block runs; refuse with one
    line naming the holder's PID when another process has it. Only rank 0 of a ``torchrun`` job
    locks. A folder that does not exist yet is created for a new run (``create``); one to
    resume that is not there is left for :func:`plan_run` to refuse (None: nothing to hold)."""
    if run_dir is None or not is_main_process() or fcntl is None:
        yield
        return
    folder = Path(run_dir)
    folder = folder.parent if folder.is_file() else folder  # --resume may name the checkpoint
    if not create and not folder.is_dir():
        yield
        return
    created = not folder.exists()
    try:
        folder.mkdir(parents=True, exist_ok=True)
        fd = os.open(folder / LOCK_NAME, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as exc:
        raise WriteError(f"cannot write to {folder}: {write_failure(exc)}") from exc
    finished = False
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 32, 0).decode(errors="replace").strip() or "unknown"
            raise RunFolderError(
                f"{folder} is in use by another run (PID {holder}): wait for it to end, "
                "or pick another --out"
            ) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        yield
        finished = True
    finally:
        os.close(fd)  # closing releases the lock
        if created and not finished and [p.name for p in folder.iterdir()] == [LOCK_NAME]:
            (folder / LOCK_NAME).unlink()  # a run that failed before writing leaves no folder
            folder.rmdir()
