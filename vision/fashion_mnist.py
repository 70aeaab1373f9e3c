"""FashionMNIST on disk: where to find it, how to fetch it, and loading it as tensors.

Looked for, in order: an explicit ``data_dir`` (``--data-dir``), ``$TELECNN_DATA/fashion-mnist``,
``./data/fashion-mnist`` and ``/usr/share/datasets/fashion-mnist`` (Debian's
``dataset-fashion-mnist``). When none has the files, :func:`fetch_dataset` puts them into
``./data/fashion-mnist`` (what ``make data`` and ``telecnn fetch-data`` run): downloaded from the
dataset's official source or, where that cannot be reached, unpacked from Debian's package
without installing it. Every file is checked by the SHA-256 of its decompressed content (Debian
recompresses the ``.gz`` files, so only the content is comparable).
"""

from __future__ import annotations

import gzip
import hashlib
import os
import shutil
import sys
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import torch

from telecnn.atomic import atomic_path
from telecnn.errors import DataNotFoundError, TelecnnError
from vision import debian_package
from vision.idx import read_image_label_pair, sha256_of_content

CLASS_NAMES = (
    "T-shirt/top",
    "Trouser",
    "Pullover",
    "Dress",
    "Coat",
    "Sandal",
    "Shirt",
    "Sneaker",
    "Bag",
    "Ankle boot",
)

SUBDIR = "fashion-mnist"
LOCAL_DIR = Path("data") / SUBDIR  # relative to the working directory
SYSTEM_DIR = Path("/usr/share/datasets") / SUBDIR
DEBIAN_PACKAGE = debian_package.PACKAGE
VERIFIED_STAMP = ".verified"  # written into a folder once its four files passed their checks
OFFICIAL_URL = "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/"
DOWNLOAD_TIMEOUT_S = 20.0

# base name -> SHA-256 of the raw (decompressed) IDX file
FILES = {
    "train-images-idx3-ubyte": "c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888",
    "train-labels-idx1-ubyte": "bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9",
    "t10k-images-idx3-ubyte": "5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b",
    "t10k-labels-idx1-ubyte": "0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34",
}
SPLITS = {
    "train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
    "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
}


@dataclass(frozen=True)
class Split:
    """One split in memory: ``images`` uint8 ``(N, 28, 28)`` and ``labels`` int64 ``(N,)``."""

    images: torch.Tensor
    labels: torch.Tensor

    def __len__(self) -> int:
        return len(self.labels)


def find_file(folder: Path, base: str) -> Path | None:
    """``base`` or ``base.gz`` inside ``folder``, whichever exists (raw first)."""
    for name in (base, base + ".gz"):
        if (folder / name).is_file():
            return folder / name
    return None


def has_dataset(folder: Path) -> bool:
    """Whether ``folder`` holds all four files (raw or gzip)."""
    return all(find_file(folder, base) is not None for base in FILES)


def search_dirs() -> list[Path]:
    """The folders searched when no ``data_dir`` is given, in order."""
    dirs = []
    if os.environ.get("TELECNN_DATA"):
        dirs.append(Path(os.environ["TELECNN_DATA"]) / SUBDIR)
    return [*dirs, LOCAL_DIR, SYSTEM_DIR]


def locate_data(data_dir: str | os.PathLike[str] | None = None, download: bool = True) -> Path:
    """The folder holding FashionMNIST; an explicit ``data_dir`` must hold it.

    Without ``data_dir``, the first of :func:`search_dirs` that has the files; when none does and
    ``download`` is true, the files are downloaded into ``./data/fashion-mnist``.
    """
    if data_dir is not None:
        folder = Path(data_dir)
        if not folder.is_dir():
            raise DataNotFoundError(f"--data-dir {folder} is not a folder")
        missing = [base for base in FILES if find_file(folder, base) is None]
        if missing:
            raise DataNotFoundError(
                f"--data-dir {folder} lacks FashionMNIST file(s): {', '.join(missing)} (.gz or raw)"
            )
        return folder
    for folder in search_dirs():
        if has_dataset(folder):
            return folder
    if download:
        return fetch_dataset(LOCAL_DIR)[0]
    searched = ", ".join(str(d) for d in search_dirs())
    raise DataNotFoundError(
        f"FashionMNIST not found in {searched}; run `make data` (or `telecnn fetch-data`), point "
        f"--data-dir at a folder with the four IDX files or install the Debian package "
        f"{DEBIAN_PACKAGE}"
    )


def fetch_dataset(dest: Path = LOCAL_DIR, base_url: str | None = None) -> tuple[Path, str]:
    """Put the four checked files into ``dest``; returns ``dest`` and where they came from.

    Tried in order, stopping at the first that works: ``dest`` already checked (instant), an
    installed copy (``/usr/share/datasets/fashion-mnist``), the official download, Debian's
    package unpacked in a temporary folder. Every file is checked by SHA-256 before it is kept.
    """
    dest = Path(dest)
    if (dest / VERIFIED_STAMP).is_file() and has_dataset(dest):
        return dest, "already there"
    reasons = []
    if _passes_checks(dest):
        _mark_verified(dest)
        return dest, "already there"
    if has_dataset(SYSTEM_DIR):
        try:
            copy_dataset(SYSTEM_DIR, dest)
            return dest, f"copied from {SYSTEM_DIR}"
        except TelecnnError as exc:
            reasons.append(f"{SYSTEM_DIR}: {exc}")
    try:
        download_dataset(dest, base_url)
        _mark_verified(dest)
        return dest, "downloaded"
    except DataNotFoundError as exc:
        reasons.append(f"download failed: {exc}")
    try:
        with debian_package.unpacked_package() as folder:
            copy_dataset(folder, dest)
        return dest, f"unpacked from Debian's {DEBIAN_PACKAGE}"
    except (TelecnnError, OSError) as exc:
        reasons.append(f"Debian package {DEBIAN_PACKAGE}: {exc}")
    raise DataNotFoundError(
        f"cannot fetch FashionMNIST into {dest} ({'; '.join(reasons)}); put the four IDX files "
        f"there or point --data-dir at a folder holding them"
    )


def copy_dataset(source: Path, dest: Path) -> Path:
    """Copy the four files from ``source`` into ``dest``, each checked by SHA-256 first."""
    verify_dataset(source)
    dest.mkdir(parents=True, exist_ok=True)
    for base in FILES:
        path = find_file(source, base)
        assert path is not None
        with atomic_path(dest / path.name) as tmp:
            shutil.copyfile(path, tmp)
    _mark_verified(dest)
    return dest


def _passes_checks(folder: Path) -> bool:
    if not has_dataset(folder):
        return False
    try:
        verify_dataset(folder)
    except TelecnnError:
        return False
    return True


def _mark_verified(folder: Path) -> None:
    with atomic_path(folder / VERIFIED_STAMP) as tmp:
        tmp.write_text("".join(f"{digest}  {base}\n" for base, digest in FILES.items()))


def download_dataset(dest: Path, base_url: str | None = None) -> Path:
    """Download the four files into ``dest``, each checked by SHA-256 before it is kept."""
    base_url = base_url or OFFICIAL_URL
    for base, digest in FILES.items():
        if find_file(dest, base) is not None and sha256_of_content(find_file(dest, base)) == digest:
            continue
        url = base_url.rstrip("/") + "/" + base + ".gz"
        try:
            with urllib.request.urlopen(url, timeout=DOWNLOAD_TIMEOUT_S) as response:
                print(f"downloading {url}", file=sys.stderr)  # only once the server answered
                payload = response.read()
        except (urllib.error.URLError, OSError) as exc:
            raise DataNotFoundError(f"cannot fetch {url}: {getattr(exc, 'reason', exc)}") from exc
        try:
            content = gzip.decompress(payload)
        except (OSError, EOFError) as exc:
            raise DataNotFoundError(f"{url} is not a valid gzip file") from exc
        if hashlib.sha256(content).hexdigest() != digest:
            raise DataNotFoundError(f"{url} failed its SHA-256 check")
        with atomic_path(dest / (base + ".gz")) as tmp:
            tmp.write_bytes(payload)
    return dest


def verify_dataset(folder: str | os.PathLike[str]) -> None:
    """Check each file's decompressed content against the official SHA-256."""
    folder = Path(folder)
    for base, digest in FILES.items():
        path = find_file(folder, base)
        if path is None:
            raise DataNotFoundError(f"{folder} lacks {base}")
        if sha256_of_content(path) != digest:
            raise TelecnnError(f"{path} differs from the official FashionMNIST file (SHA-256)")


def load_split(
    folder: str | os.PathLike[str], split: str = "train", limit: int | None = None
) -> Split:
    """Load ``split`` (``train`` or ``test``) from ``folder``; ``limit`` keeps the first N."""
    if split not in SPLITS:
        raise TelecnnError(f"unknown split {split!r}: use train or test")
    if limit is not None and limit < 1:
        raise TelecnnError(f"limit must be at least 1, got {limit}")
    folder = Path(folder)
    paths = []
    for base in SPLITS[split]:
        path = find_file(folder, base)
        if path is None:
            raise DataNotFoundError(f"{folder} lacks {base} (.gz or raw)")
        paths.append(path)
    images, labels = read_image_label_pair(*paths)
    if labels.size and (labels.min() < 0 or labels.max() >= len(CLASS_NAMES)):
        raise TelecnnError(f"{paths[1]} holds labels outside 0..{len(CLASS_NAMES) - 1}")
    if limit is not None:
        images, labels = images[:limit], labels[:limit]
    return Split(torch.from_numpy(images.copy()), torch.from_numpy(labels.copy()))


def load_fashion_mnist(
    data_dir: str | os.PathLike[str] | None = None, limit: int | None = None
) -> tuple[Split, Split]:
    """The train split (first ``limit`` images when given) and the full test split."""
    folder = locate_data(data_dir)
    return load_split(folder, "train", limit), load_split(folder, "test")
