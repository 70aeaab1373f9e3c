"""The IDX reader and data lookup, on the real FashionMNIST files and on files written here."""

from __future__ import annotations

import gzip
import http.server
import shutil
import threading
from functools import partial
from pathlib import Path

import numpy as np
import pytest

from telecnn.errors import DataNotFoundError, TelecnnError
from vision import fashion_mnist as fm
from vision.idx import read_idx, read_image_label_pair, write_idx


def test_real_files_read_with_expected_shapes_and_labels(fashion_mnist_dir: Path) -> None:
    train, test = (
        fm.load_split(fashion_mnist_dir, "train"),
        fm.load_split(fashion_mnist_dir, "test"),
    )
    assert tuple(train.images.shape) == (60_000, 28, 28)
    assert tuple(test.images.shape) == (10_000, 28, 28)
    assert str(train.images.dtype) == "torch.uint8" and str(train.labels.dtype) == "torch.int64"
    # balanced classes: 6,000 per class in train, 1,000 in test
    assert train.labels.bincount().tolist() == [6000] * 10
    assert test.labels.bincount().tolist() == [1000] * 10
    assert train.labels[:4].tolist() == [9, 0, 0, 3]  # ankle boot, T-shirt, T-shirt, dress
    assert 0 < train.images.float().mean().item() / 255 < 0.5  # dark background, bright garments
    assert len(fm.CLASS_NAMES) == 10 and fm.CLASS_NAMES[9] == "Ankle boot"


def test_debian_files_match_official_checksums(fashion_mnist_dir: Path) -> None:
    fm.verify_dataset(fashion_mnist_dir)  # raises on any mismatch


def test_limit_keeps_first_images(fashion_mnist_dir: Path) -> None:
    full = fm.load_split(fashion_mnist_dir, "test")
    part = fm.load_split(fashion_mnist_dir, "test", limit=100)
    assert len(part) == 100 and bool((part.images == full.images[:100]).all())


@pytest.mark.parametrize("compress", [True, False])
def test_roundtrip_gzip_and_raw(tmp_path: Path, compress: bool) -> None:
    array = np.random.default_rng(1).integers(0, 256, (5, 7, 3), dtype=np.uint8)
    path = write_idx(tmp_path / "a.idx", array, compress=compress)
    assert (path.read_bytes()[:2] == b"\x1f\x8b") is compress
    assert np.array_equal(read_idx(path), array)
    floats = np.linspace(-1, 1, 12, dtype=np.float32).reshape(3, 4)
    assert np.array_equal(read_idx(write_idx(tmp_path / "f.idx", floats, compress)), floats)


def _images(tmp_path: Path, n: int = 4) -> Path:
    return write_idx(tmp_path / "img", np.zeros((n, 28, 28), np.uint8))


def test_wrong_magic_number(tmp_path: Path) -> None:
    path = tmp_path / "bad"
    path.write_bytes(b"\x00\x01\x08\x03" + bytes(100))
    with pytest.raises(TelecnnError, match="not an IDX file.*magic number 0x00010803"):
        read_idx(path)
    path.write_bytes(b"PK\x03\x04 a zip, not IDX")
    with pytest.raises(TelecnnError, match="not an IDX file"):
        read_idx(path)


def test_truncated_raw_and_gzip(tmp_path: Path) -> None:
    data = _images(tmp_path).read_bytes()
    raw = tmp_path / "short"
    raw.write_bytes(data[:-10])
    with pytest.raises(TelecnnError, match=r"truncated: dimensions \(4, 28, 28\)"):
        read_idx(raw)
    gz = tmp_path / "short.gz"
    gz.write_bytes(gzip.compress(data)[:-40])
    with pytest.raises(TelecnnError, match="corrupt or truncated gzip"):
        read_idx(gz)
    header_only = tmp_path / "hdr"
    header_only.write_bytes(data[:9])
    with pytest.raises(TelecnnError, match="truncated inside its header"):
        read_idx(header_only)


def test_corrupt_gzip_body(tmp_path: Path) -> None:
    blob = bytearray(gzip.compress(_images(tmp_path).read_bytes()))
    blob[20:40] = b"\xff" * 20
    path = tmp_path / "corrupt.gz"
    path.write_bytes(bytes(blob))
    with pytest.raises(TelecnnError, match="corrupt or truncated gzip"):
        read_idx(path)


def test_count_mismatch_and_missing_file(tmp_path: Path) -> None:
    images = _images(tmp_path, n=4)
    labels = write_idx(tmp_path / "lab", np.arange(3, dtype=np.uint8))
    with pytest.raises(TelecnnError, match="holds 4 images but .* holds 3 labels"):
        read_image_label_pair(images, labels)
    with pytest.raises(DataNotFoundError, match="IDX file not found"):
        read_idx(tmp_path / "nope")


def test_labels_out_of_range(tiny_dataset: Path) -> None:
    write_idx(tiny_dataset / "t10k-labels-idx1-ubyte.gz", np.full(32, 12, np.uint8), True)
    with pytest.raises(TelecnnError, match="labels outside 0..9"):
        fm.load_split(tiny_dataset, "test")


@pytest.fixture
def isolated_search(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """No data anywhere: an empty working folder, no $TELECNN_DATA, no system package."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("TELECNN_DATA", raising=False)
    monkeypatch.setattr(fm, "SYSTEM_DIR", tmp_path / "system" / "fashion-mnist")
    monkeypatch.setattr(fm, "OFFICIAL_URL", "http://127.0.0.1:9/")  # nothing listens there
    monkeypatch.setattr(fm.debian_package, "unpacked_package", _no_debian_package)
    return tmp_path


def _no_debian_package():
    raise DataNotFoundError("apt-get download dataset-fashion-mnist failed: not in this test")


def test_search_order_env_before_local_before_system(
    isolated_search: Path, monkeypatch: pytest.MonkeyPatch, write_tiny_dataset
) -> None:
    system = write_tiny_dataset(fm.SYSTEM_DIR, compress=True)
    assert fm.locate_data() == system
    local = write_tiny_dataset(isolated_search / "data" / "fashion-mnist", compress=False)
    assert fm.locate_data() == Path("data") / "fashion-mnist"
    assert fm.load_split(fm.locate_data(), "train").images.shape == (64, 28, 28)  # raw files
    env = write_tiny_dataset(isolated_search / "env" / "fashion-mnist", n_train=8)
    monkeypatch.setenv("TELECNN_DATA", str(env.parent))
    assert fm.locate_data() == env
    assert fm.locate_data(local) == local  # --data-dir wins over everything


def test_missing_everywhere_names_data_dir_and_debian_package(isolated_search: Path) -> None:
    with pytest.raises(DataNotFoundError) as info:
        fm.locate_data()
    message = str(info.value)
    assert "--data-dir" in message and "dataset-fashion-mnist" in message
    assert "download failed" in message
    assert not (isolated_search / "data" / "fashion-mnist" / "train-images-idx3-ubyte.gz").exists()


def test_explicit_data_dir_must_hold_the_files(tmp_path: Path) -> None:
    with pytest.raises(DataNotFoundError, match="is not a folder"):
        fm.locate_data(tmp_path / "absent")
    (tmp_path / "empty").mkdir()
    with pytest.raises(DataNotFoundError, match="lacks FashionMNIST file.*train-images-idx3-ubyte"):
        fm.locate_data(tmp_path / "empty")


class _Server:
    """A local HTTP server standing in for the official download site."""

    def __init__(self, folder: Path) -> None:
        handler = partial(_QuietHandler, directory=str(folder))
        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self) -> _Server:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args: object) -> None:
        pass


def test_download_checks_content_and_lands_in_local_dir(
    isolated_search: Path, fashion_mnist_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    site = isolated_search / "site"
    shutil.copytree(fashion_mnist_dir, site)
    with _Server(site) as server:
        monkeypatch.setattr(fm, "OFFICIAL_URL", server.url)
        folder = fm.locate_data()
    assert folder == Path("data") / "fashion-mnist"
    names = sorted(p.name for p in folder.iterdir())
    assert names == sorted([fm.VERIFIED_STAMP, *(f + ".gz" for f in fm.FILES)])
    fm.verify_dataset(folder)
    assert fm.locate_data() == folder  # found locally the next time


def test_download_rejects_tampered_file(
    isolated_search: Path, fashion_mnist_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    site = isolated_search / "site"
    site.mkdir()
    for name in fm.FILES:
        shutil.copy(fashion_mnist_dir / (name + ".gz"), site)
    labels = gzip.decompress((site / "t10k-labels-idx1-ubyte.gz").read_bytes())
    tampered = labels[:-1] + bytes([(labels[-1] + 1) % 10])
    (site / "t10k-labels-idx1-ubyte.gz").write_bytes(gzip.compress(tampered))
    with _Server(site) as server:
        monkeypatch.setattr(fm, "OFFICIAL_URL", server.url)
        with pytest.raises(DataNotFoundError, match="t10k-labels.*failed its SHA-256 check"):
            fm.locate_data()
    local = isolated_search / "data" / "fashion-mnist"
    assert not (local / "t10k-labels-idx1-ubyte.gz").exists()
    assert not list(local.glob("*.tmp")) and not list(local.glob(".*"))
