"""FashionMNIST from Debian's ``dataset-fashion-mnist`` package, without installing it.

``apt-get download`` fetches the ``.deb`` into a temporary folder (as any user; as root, after
an ``apt-get update`` when the package lists are missing) and ``dpkg-deb -x`` unpacks it there:
nothing is installed system-wide and no root is needed once the lists exist.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from telecnn.errors import DataNotFoundError

PACKAGE = "dataset-fashion-mnist"
PACKAGE_DIR = Path("usr/share/datasets/fashion-mnist")  # inside the package
COMMAND_TIMEOUT_S = 300

Runner = Callable[..., subprocess.CompletedProcess]


@contextmanager
def unpacked_package(run: Runner = subprocess.run) -> Iterator[Path]:
    """The package's dataset folder, unpacked into a temporary folder removed afterwards."""
    for tool in ("apt-get", "dpkg-deb"):
        if shutil.which(tool) is None:
            raise DataNotFoundError(f"{tool} is not available (not a Debian-based system)")
    with tempfile.TemporaryDirectory(prefix="telecnn-deb-") as tmp:
        folder = Path(tmp)

        def fetch() -> subprocess.CompletedProcess:
            command = ["apt-get", "download", PACKAGE]
            return run(
                command, cwd=folder, capture_output=True, text=True, timeout=COMMAND_TIMEOUT_S
            )

        download = fetch()
        if download.returncode != 0 and _is_root():  # the package lists may be missing
            run(["apt-get", "update", "-qq"], capture_output=True, timeout=COMMAND_TIMEOUT_S)
            download = fetch()
        debs = sorted(folder.glob(f"{PACKAGE}_*.deb"))
        if download.returncode != 0 or not debs:
            reason = _last_line(download.stderr) or "no package file"
            raise DataNotFoundError(f"apt-get download {PACKAGE} failed: {reason}")
        unpacked = folder / "unpacked"
        extract = run(
            ["dpkg-deb", "-x", str(debs[-1]), str(unpacked)],
            capture_output=True,
            text=True,
            timeout=COMMAND_TIMEOUT_S,
        )
        if extract.returncode != 0:
            raise DataNotFoundError(f"dpkg-deb -x failed: {_last_line(extract.stderr)}")
        yield unpacked / PACKAGE_DIR


def _is_root() -> bool:
    return hasattr(os, "geteuid") and os.geteuid() == 0


def _last_line(text: str | None) -> str:
    lines = [line.strip() for line in (text or "").splitlines() if line.strip()]
    return lines[-1] if lines else ""
