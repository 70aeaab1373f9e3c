"""Atomic writes: a temp file in the same folder, then a rename, so no output is half-written.

Every output of the project goes through :func:`atomic_path`, the one place a failed write
becomes a :class:`~telecnn.errors.WriteError`: one line naming the path, the reason (no space
left, file too large, read-only file system, permission) and what was kept.
"""

from __future__ import annotations

import errno
import json
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from telecnn.errors import WriteError


@contextmanager
def atomic_path(path: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield a temp path beside ``path``; rename it onto ``path`` only if the block succeeds."""
    target = Path(path)
    kept = "the previous file is unchanged" if target.exists() else None
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    except OSError as exc:
        raise WriteError(f"cannot write {target}: {write_failure(exc)} ({_kept(kept)})") from exc
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        yield tmp
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes 0600; give the usual file mode
        os.replace(tmp, target)
    except Exception as exc:
        reason = write_failure(exc)
        if reason is None:
            raise
        raise WriteError(f"cannot write {target}: {reason} ({_kept(kept)})") from exc
    finally:
        tmp.unlink(missing_ok=True)


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


def _kept(previous: str | None) -> str:
    return "nothing written" + (f"; {previous}" if previous else "")


def _umask() -> int:
    """The process umask (read by setting and restoring it)."""
    mask = os.umask(0)
    os.umask(mask)
    return mask


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
    with atomic_path(target) as tmp:
        fig.savefig(tmp, dpi=dpi, bbox_inches="tight", format=target.suffix.lstrip(".") or "png")
    plt.close(fig)
    return target


def _json_default(obj: Any) -> Any:
    """Make NumPy scalars and arrays JSON-serialisable."""
    if hasattr(obj, "tolist"):
        return obj.tolist()
    if hasattr(obj, "item"):
        return obj.item()
    raise TypeError(f"not JSON serialisable: {type(obj).__name__}")
