"""Reading IDX files (the MNIST/FashionMNIST format), gzip-compressed or raw.

An IDX file is a 4-byte magic number (two zero bytes, a type code, the number of dimensions),
one big-endian uint32 per dimension, then the values. Every check failure is a
:class:`~telecnn.errors.TelecnnError` naming the file, never a NumPy or struct traceback.
"""

from __future__ import annotations

import gzip
import hashlib
import os
import zlib
from pathlib import Path

import numpy as np

from telecnn.atomic import atomic_path
from telecnn.errors import DataNotFoundError, TelecnnError

GZIP_MAGIC = b"\x1f\x8b"
# type code -> big-endian NumPy dtype, as the IDX format defines them
IDX_TYPES = {
    0x08: np.dtype(">u1"),
    0x09: np.dtype(">i1"),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}


def read_bytes(path: str | os.PathLike[str]) -> bytes:
    """The file's decompressed content (gzip is recognised by its magic bytes, not the name)."""
    p = Path(path)
    try:
        raw = p.read_bytes()
    except FileNotFoundError:
        raise DataNotFoundError(f"IDX file not found: {p}") from None
    except OSError as exc:
        raise TelecnnError(f"cannot read {p}: {exc.strerror or exc}") from exc
    if raw[:2] != GZIP_MAGIC:
        return raw
    try:
        return gzip.decompress(raw)
    except (OSError, EOFError, zlib.error) as exc:
        raise TelecnnError(f"{p} is a corrupt or truncated gzip file ({exc})") from exc


def parse_idx(data: bytes, name: str = "IDX data") -> np.ndarray:
    """Parse IDX bytes into a native-endian array; checks magic, dimensions and length."""
    if len(data) < 4:
        raise TelecnnError(f"{name} is too short to be an IDX file ({len(data)} bytes)")
    zero, type_code, ndim = data[:2], data[2], data[3]
    if zero != b"\x00\x00" or type_code not in IDX_TYPES or ndim == 0:
        raise TelecnnError(f"{name} is not an IDX file (magic number 0x{data[:4].hex()})")
    header = 4 + 4 * ndim
    if len(data) < header:
        raise TelecnnError(f"{name} is truncated inside its header")
    dims = tuple(int(d) for d in np.frombuffer(data, dtype=">u4", count=ndim, offset=4))
    dtype = IDX_TYPES[type_code]
    expected = header + int(np.prod(dims, dtype=np.int64)) * dtype.itemsize
    if len(data) != expected:
        state = "truncated" if len(data) < expected else "longer than its header says"
        raise TelecnnError(
            f"{name} is {state}: dimensions {dims} need {expected:,} bytes, found {len(data):,}"
        )
    values = np.frombuffer(data, dtype=dtype, offset=header).reshape(dims)
    return values.astype(dtype.newbyteorder("="), copy=True)


def read_idx(path: str | os.PathLike[str]) -> np.ndarray:
    """Read one IDX file (gzip or raw) into a NumPy array."""
    return parse_idx(read_bytes(path), name=str(path))


def sha256_of_content(path: str | os.PathLike[str]) -> str:
    """SHA-256 of the decompressed content (Debian recompresses the files; content is equal)."""
    return hashlib.sha256(read_bytes(path)).hexdigest()


def read_image_label_pair(
    images_path: str | os.PathLike[str], labels_path: str | os.PathLike[str]
) -> tuple[np.ndarray, np.ndarray]:
    """Images ``(N, H, W)`` uint8 and labels ``(N,)`` int64, checked to agree in count."""
    images = read_idx(images_path)
    labels = read_idx(labels_path)
    if images.ndim != 3 or images.dtype != np.uint8:
        raise TelecnnError(
            f"{images_path} should hold uint8 images (N, H, W), found {images.dtype} "
            f"with shape {images.shape}"
        )
    if labels.ndim != 1:
        raise TelecnnError(f"{labels_path} should hold one label per image, found {labels.shape}")
    if len(images) != len(labels):
        raise TelecnnError(
            f"{images_path} holds {len(images):,} images but {labels_path} holds "
            f"{len(labels):,} labels"
        )
    return images, labels.astype(np.int64)


def write_idx(path: str | os.PathLike[str], array: np.ndarray, compress: bool = False) -> Path:
    """Write ``array`` as an IDX file (gzip when ``compress``); the inverse of :func:`read_idx`."""
    codes = {dtype.newbyteorder("="): code for code, dtype in IDX_TYPES.items()}
    native = np.dtype(array.dtype).newbyteorder("=")
    if native not in codes:
        raise TelecnnError(f"IDX cannot store {array.dtype}")
    header = bytes([0, 0, codes[native], array.ndim])
    header += np.asarray(array.shape, dtype=">u4").tobytes()
    payload = header + np.ascontiguousarray(array, dtype=IDX_TYPES[codes[native]]).tobytes()
    data = gzip.compress(payload) if compress else payload
    with atomic_path(path) as tmp:
        tmp.write_bytes(data)
    return Path(path)
