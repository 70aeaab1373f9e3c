"""The project's one error type: bad input a user can fix, reported as one clear line."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any


class TelecnnError(ValueError):
    """Bad input or an unusable resource (file, session, checkpoint), with a one-line message.

    A subclass of :class:`ValueError`, so library callers can catch either; the CLI turns it
    into one line on stderr and exit code 2.
    """


class DataNotFoundError(TelecnnError, FileNotFoundError):
    """A file or data set the user pointed at (or that we looked for) is not there."""


class WriteError(TelecnnError, OSError):
    """An output that could not be written (no space, file too large, read-only file system,
    permission): the message names the path, the reason and what was kept. The CLI exits 1."""


class CheckpointError(TelecnnError):
    """A checkpoint that is corrupt, not ours, or of another model than expected."""


def one_line(exc: BaseException) -> str:
    """An exception's message on one line (whitespace collapsed; its type name if empty)."""
    return " ".join(str(exc).split()) or type(exc).__name__


@contextmanager
def reading(path: Any, what: str) -> Iterator[None]:
    """Errors met reading a file's contents (a key missing, a value of the wrong type or
    shape) as one :class:`CheckpointError` that names the file and what it should hold."""
    try:
        yield
    except CheckpointError:
        raise
    except TelecnnError as exc:  # a check deeper down (a layer's shapes, a channel's name)
        raise CheckpointError(f"{path} is not {what}: {one_line(exc)[:200]}") from None
    except KeyError as exc:
        raise CheckpointError(f"{path} is not {what}: it has no {exc.args[0]!r}") from None
    except (TypeError, ValueError, AttributeError, IndexError, RuntimeError) as exc:
        raise CheckpointError(f"{path} is not {what}: {one_line(exc)[:160]}") from None


class RunFolderError(TelecnnError):
    """A run folder that cannot be used as asked: a new run over an old one, nothing to resume."""


class RunCompleteError(RunFolderError):
    """A run resumed with no epochs left to train (its ``--epochs`` already reached)."""


class Interrupted(BaseException):
    """A signal (SIGINT, SIGTERM, SIGHUP) that ended the command. A BaseException, as
    KeyboardInterrupt is, so no ``except Exception`` swallows it; ``exit_code`` is the shell's
    128 + the signal's number; the message says what was being written and what was kept."""

    def __init__(self, signum: int, message: str | None = None) -> None:
        import signal

        self.signum = signum
        self.exit_code = 128 + signum
        super().__init__(message or f"interrupted by {signal.Signals(signum).name}")


class TrainingStopped(Exception):
    """A run stopped by a signal after saving its checkpoint; ``exit_code`` is 143 or 130."""

    def __init__(self, message: str, exit_code: int, run_dir: Any | None = None) -> None:
        super().__init__(message)
        self.exit_code = exit_code
        self.run_dir = run_dir
