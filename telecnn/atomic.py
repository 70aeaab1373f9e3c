"""Atomic writes: a temp file in the same folder, then a rename, so no output is half-written.

Every output of the project goes through :func:`atomic_path`, the one place where

- a failed write becomes a :class:`~telecnn.errors.WriteError`: one line naming the path, the
  reason (no space left, file too large, read-only file system, permission) and what was kept;
- a signal (SIGINT, SIGTERM, SIGHUP) while writing removes the temp file and ends the write
  with :class:`~telecnn.errors.Interrupted`, whose message names the file and what was kept;
- a replaced file keeps its permission mode (a new one gets the umask's, as any new file);
- a FIFO or a character device (``/dev/null``, ``/dev/stdout``) is written into once the output
  is whole, never replaced by a file; a symbolic link's target is replaced, the link kept;
- an input of the running command (:func:`inputs_protected`) is never written over.
"""

from __future__ import annotations

import errno
import json
import os
import shutil
import signal
import stat
import sys
import tempfile
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from types import FrameType
from typing import Any

from telecnn.errors import Interrupted, TelecnnError, WriteError

#: The signals that end a command: while an output is written they remove its temp file first.
WRITE_SIGNALS: tuple[int, ...] = tuple(
    getattr(signal, name) for name in ("SIGINT", "SIGTERM", "SIGHUP") if hasattr(signal, name)
)


@contextmanager
def atomic_path(path: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield a temp path beside ``path``; rename it onto ``path`` only if the block succeeds.

    A FIFO or character device at ``path`` gets the output once it is whole (written to a temp
    file in the system's temp folder first), and is never replaced.
    """
    shown = Path(path)
    target = check_output(shown)
    stream = is_stream(shown)
    kept = "the previous file is unchanged" if target.exists() and not stream else None
    with _WriteSignals(shown, _kept(kept)) as guard:
        guard.holding = True  # a signal now waits until the temp file is known
        tmp = _temp_beside(None if stream else target, shown, kept)
        try:
            guard.holding = False
            guard.deliver_held()
            yield tmp
            if stream:  # whole before it goes: a FIFO's reader never gets half a file
                guard.kept = "part of it may have gone to it"
                _copy_into(tmp, shown)
            else:
                guard.holding = True  # signals wait for the rename: whole or untouched
                _copy_mode(target, tmp)
                os.replace(tmp, target)
        except Exception as exc:
            _raise_write_error(exc, shown, guard.kept)
        finally:
            guard.holding = True
            _unfinished.pop(tmp, None)
            tmp.unlink(missing_ok=True)


def check_output(path: str | os.PathLike[str]) -> Path:
    """The file an output at ``path`` really replaces (a symbolic link's target), checked: no
    input of the running command, no folder, no block device or socket. Raises
    :class:`TelecnnError` (nothing written)."""
    path = Path(path)
    target = Path(os.path.realpath(path))
    hit = _identity(path) & _protected.keys()
    if hit:
        what = _protected[next(iter(hit))]
        raise TelecnnError(
            f"cannot write {path}: it is {what} of this command (nothing written; inputs are "
            "never replaced)"
        )
    try:
        mode = os.stat(path).st_mode
    except OSError:
        return target
    if stat.S_ISDIR(mode):
        raise TelecnnError(f"cannot write {path}: it is a folder (give a file name)")
    if stat.S_ISBLK(mode) or stat.S_ISSOCK(mode):
        raise TelecnnError(
            f"cannot write {path}: it is a block device or socket (outputs go to files, "
            "FIFOs or character devices such as /dev/null)"
        )
    return target


def is_stream(path: str | os.PathLike[str]) -> bool:
    """Whether ``path`` is written directly: a FIFO, a character device, or anything named
    under ``/dev`` or ``/proc`` (``/dev/stdout`` is a link to whatever the output is)."""
    if os.path.abspath(path).startswith(("/dev/", "/proc/")):
        return True
    try:
        mode = os.stat(path).st_mode
    except OSError:
        return False
    return stat.S_ISFIFO(mode) or stat.S_ISCHR(mode)


def write_failure(exc: BaseException) -> str | None:
    """Why a write failed (``"no space left on device"``), from the OS error behind ``exc``
    (libraries such as torch wrap it); None when no OS error is behind it."""
    if isinstance(exc, (FileExistsError, NotADirectoryError)):  # making the folder: a file is there
        return f"{exc.filename or 'a file'} is a file, not a folder"
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, OSError) and not isinstance(seen, WriteError):
            code = seen.errno if isinstance(seen.errno, int) else None
            if code is None:  # pyarrow: "... Detail: [errno 28] No space left on device"
                code = next((c for c in _ERRNOS if f"errno {c}]" in str(seen)), None)
            text = os.strerror(code) if code is not None else (seen.strerror or str(seen))
            return text[:1].lower() + text[1:]
        seen = seen.__cause__ or seen.__context__
    return None


_ERRNOS = (errno.ENOSPC, errno.EFBIG, errno.EROFS, errno.EACCES, errno.EPERM, errno.EDQUOT)


def _raise_write_error(exc: Exception, path: Path, kept: str) -> None:
    """``exc`` again, or the :class:`WriteError` it stands for when an OS error is behind it."""
    reason = write_failure(exc)
    if reason is None or isinstance(exc, TelecnnError):
        raise exc
    raise WriteError(f"cannot write {path}: {reason} ({kept})") from exc


def _kept(previous: str | None) -> str:
    return "nothing written" + (f"; {previous}" if previous else "")


def _temp_beside(target: Path | None, shown: Path, kept: str | None) -> Path:
    """A new empty temp file in ``target``'s folder (made if missing; None: the system's temp
    folder), registered as unfinished until it is renamed or removed."""
    # the temp name holds the start of the output's, so it stays within the file system's limit
    stem = shown.name.encode()[:100].decode(errors="ignore")
    try:
        if target is not None:
            target.parent.mkdir(parents=True, exist_ok=True)
        folder = None if target is None else target.parent
        fd, name = tempfile.mkstemp(prefix=f".{stem}.", suffix=".tmp", dir=folder)
    except OSError as exc:
        raise WriteError(f"cannot write {shown}: {write_failure(exc)} ({_kept(kept)})") from exc
    os.close(fd)
    tmp = Path(name)
    _unfinished[tmp] = shown
    return tmp


def _copy_into(tmp: Path, stream: Path) -> None:
    """The finished temp file's bytes written into a FIFO or device: opened, never made, and
    appended to (``/dev/stdout`` redirected to a file keeps what was printed before)."""
    for printed in (sys.stdout, sys.stderr):  # what was printed goes first
        printed.flush()
    with tmp.open("rb") as source, open(stream, "ab") as out:
        shutil.copyfileobj(source, out)


def _copy_mode(target: Path, tmp: Path) -> None:
    """Give ``tmp`` the mode of the file it replaces (a new file: the umask's, not mkstemp's
    0600); run as root, its owner too."""
    try:
        old = os.stat(target)
    except OSError:
        os.chmod(tmp, 0o666 & ~_umask())
        return
    os.chmod(tmp, stat.S_IMODE(old.st_mode))
    if hasattr(os, "geteuid") and os.geteuid() == 0 and (old.st_uid, old.st_gid) != (0, 0):
        os.chown(tmp, old.st_uid, old.st_gid)


def _umask() -> int:
    """The process umask (read by setting and restoring it)."""
    mask = os.umask(0)
    os.umask(mask)
    return mask


#: Temp files being written now, with the output each becomes: a signal that ends the process
#: where :func:`atomic_path` cannot clean up leaves them to :func:`remove_unfinished`.
_unfinished: dict[Path, Path] = {}


def remove_unfinished() -> list[Path]:
    """Remove the temp files of writes still in progress; the outputs they were for."""
    outputs = []
    for tmp, output in list(_unfinished.items()):
        tmp.unlink(missing_ok=True)
        _unfinished.pop(tmp, None)
        outputs.append(output)
    return outputs


class _WriteSignals:
    """While one output is written (in the main thread), SIGINT, SIGTERM and SIGHUP raise
    :class:`Interrupted` instead of ending the process where it stands, so the temp file is
    removed; while ``holding`` (the rename, the clean-up) a signal waits. Signals someone else
    handles (training's :class:`~telecnn.training.stopping.StopSignals`, ``nohup``'s ignored
    SIGHUP) are left to them."""

    def __init__(self, shown: Path, kept: str) -> None:
        self.shown, self.kept = shown, kept
        self.holding = False
        self.received: int | None = None
        self.raised = False
        self._previous: dict[int, Any] = {}

    def __enter__(self) -> _WriteSignals:
        if threading.current_thread() is threading.main_thread():
            for sig in WRITE_SIGNALS:
                if signal.getsignal(sig) in (signal.SIG_DFL, signal.default_int_handler):
                    self._previous[sig] = signal.signal(sig, self._handle)
        return self

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        if self.received is not None:
            return  # the first signal is being acted on
        self.received = signum
        if not self.holding:
            self.deliver_held()

    def deliver_held(self) -> None:
        """Raise :class:`Interrupted` for a signal that came while holding (once)."""
        if self.received is not None and not self.raised:
            self.raised = True
            name = signal.Signals(self.received).name
            raise Interrupted(
                self.received, f"interrupted by {name} while writing {self.shown} ({self.kept})"
            )

    def __exit__(self, exc_type: type[BaseException] | None, *exc: object) -> None:
        for sig, handler in self._previous.items():
            signal.signal(sig, handler)
        self._previous.clear()
        if exc_type is None and self.received is not None and not self.raised:
            self.raised = True
            name = signal.Signals(self.received).name
            raise Interrupted(self.received, f"interrupted by {name} after writing {self.shown}")


#: The running command's inputs (by real path and by file identity), with how each was named.
_protected: dict[str | tuple[int, int], str] = {}


@contextmanager
def inputs_protected(inputs: Iterable[tuple[str | os.PathLike[str], str]]) -> Iterator[None]:
    """While active, :func:`atomic_path` refuses to write over any of ``inputs`` (pairs of a
    path and what it is, e.g. ``("lap.csv", "--file lap.csv")``), through links too."""
    added = {}
    for path, what in inputs:
        for key in _identity(Path(path)):
            if key not in _protected:
                added[key] = what
    _protected.update(added)
    try:
        yield
    finally:
        for key in added:
            _protected.pop(key, None)


def _identity(path: Path) -> set[str | tuple[int, int]]:
    """What makes two paths one file: the real path, and device and inode where it exists."""
    keys: set[str | tuple[int, int]] = {os.path.realpath(path)}
    try:
        info = os.stat(path)
    except OSError:
        return keys
    if stat.S_ISREG(info.st_mode):
        keys.add((info.st_dev, info.st_ino))
    return keys


def same_file(a: str | os.PathLike[str], b: str | os.PathLike[str]) -> bool:
    """Whether two paths name one file (links followed; hard links too)."""
    return bool(_identity(Path(a)) & _identity(Path(b)))


def write_text(path: str | os.PathLike[str], text: str) -> Path:
    """Write ``text`` to ``path`` atomically."""
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return Path(path)


def write_json(path: str | os.PathLike[str], obj: Any) -> Path:
    """Write ``obj`` as indented JSON to ``path`` atomically."""
    return write_text(path, json.dumps(obj, indent=2, default=_json_default) + "\n")


def save_figure(fig: Any, path: str | os.PathLike[str], dpi: int = 120) -> Path:
    """Save a matplotlib figure atomically (format from the suffix) and close it."""
    import matplotlib.pyplot as plt

    target = Path(path)
    try:
        with atomic_path(target) as tmp:
            fig.savefig(
                tmp, dpi=dpi, bbox_inches="tight", format=target.suffix.lstrip(".") or "png"
            )
    finally:
        plt.close(fig)
    return target


def _json_default(obj: Any) -> Any:
    """Make NumPy scalars and arrays JSON-serialisable."""
    if hasattr(obj, "tolist"):
        return obj.tolist()
    if hasattr(obj, "item"):
        return obj.item()
    raise TypeError(f"not JSON serialisable: {type(obj).__name__}")
