"""Fetching FashionMNIST into ``data/fashion-mnist`` (what ``make data`` runs)."""

from __future__ import annotations

import shutil
import subprocess
from functools import partial
from pathlib import Path

import pytest

from telecnn.errors import DataNotFoundError
from vision import debian_package
from vision import fashion_mnist as fm


def build_deb(dataset: Path, out: Path) -> Path:
    """A real ``.deb`` holding ``dataset`` where Debian's package puts it (uncompressed, fast)."""
    root = out / "pkgroot"
    target = root / debian_package.PACKAGE_DIR
    target.mkdir(parents=True)
    for base in fm.FILES:
        shutil.copy(dataset / (base + ".gz"), target)
    (root / "DEBIAN").mkdir()
    (root / "DEBIAN" / "control").write_text(
        f"Package: {debian_package.PACKAGE}\nVersion: 1.0\nArchitecture: all\n"
        "Maintainer: test <test@example.org>\nDescription: test package\n"
    )
    deb = out / f"{debian_package.PACKAGE}_1.0_all.deb"
    subprocess.run(
        ["dpkg-deb", "-Znone", "--build", str(root), str(deb)], check=True, capture_output=True
    )
    return deb


def fake_apt(deb: Path | None, calls: list[list[str]], cmd: list[str], **kwargs):
    """``subprocess.run`` with ``apt-get`` answered from ``deb`` (None: the package is unknown)."""
    calls.append(cmd)
    if cmd[0] == "apt-get":
        if deb is None or cmd[1] != "download":
            return subprocess.CompletedProcess(cmd, 100, "", "E: Unable to locate package")
        shutil.copy(deb, Path(kwargs["cwd"]) / deb.name)
        return subprocess.CompletedProcess(cmd, 0, "", "")
    return subprocess.run(cmd, **kwargs)  # dpkg-deb itself runs for real


@pytest.fixture
def offline(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """No installed copy, no official site; returns a fresh destination folder."""
    monkeypatch.setattr(fm, "SYSTEM_DIR", tmp_path / "none")
    monkeypatch.setattr(fm, "OFFICIAL_URL", "http://127.0.0.1:9/")
    return tmp_path / "data" / "fashion-mnist"


@pytest.mark.skipif(shutil.which("dpkg-deb") is None, reason="needs Debian's dpkg-deb")
def test_unpacks_debian_package_without_installing(
    offline: Path, fashion_mnist_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    deb = build_deb(fashion_mnist_dir, tmp_path)
    calls: list[list[str]] = []
    run = partial(fake_apt, deb, calls)
    monkeypatch.setattr(
        debian_package, "unpacked_package", partial(debian_package.unpacked_package, run=run)
    )
    folder, source = fm.fetch_dataset(offline)
    assert folder == offline and "Debian" in source
    fm.verify_dataset(offline)  # the real content, checked by SHA-256
    assert (offline / fm.VERIFIED_STAMP).is_file()
    assert [c[:2] for c in calls] == [["apt-get", "download"], ["dpkg-deb", "-x"]]
    assert not list(offline.glob("*.tmp"))
    # a second call is instant: nothing is fetched again
    stamp = (offline / fm.VERIFIED_STAMP).stat().st_mtime_ns
    assert fm.fetch_dataset(offline)[1] == "already there"
    assert len(calls) == 2 and (offline / fm.VERIFIED_STAMP).stat().st_mtime_ns == stamp


def test_copies_an_installed_copy_before_any_network(
    offline: Path, fashion_mnist_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(fm, "SYSTEM_DIR", fashion_mnist_dir)
    folder, source = fm.fetch_dataset(offline)
    assert source == f"copied from {fashion_mnist_dir}"
    fm.verify_dataset(folder)


def test_a_damaged_folder_is_fetched_again(
    offline: Path, fashion_mnist_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    shutil.copytree(fashion_mnist_dir, offline)
    (offline / fm.VERIFIED_STAMP).unlink(missing_ok=True)
    labels = offline / "t10k-labels-idx1-ubyte.gz"
    labels.write_bytes(labels.read_bytes()[:100])  # truncated
    monkeypatch.setattr(fm, "SYSTEM_DIR", fashion_mnist_dir)
    assert fm.fetch_dataset(offline)[1].startswith("copied from")
    fm.verify_dataset(offline)


def test_nothing_available_is_one_message_naming_each_source(
    offline: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[list[str]] = []
    run = partial(fake_apt, None, calls)
    monkeypatch.setattr(
        debian_package, "unpacked_package", partial(debian_package.unpacked_package, run=run)
    )
    monkeypatch.setattr(debian_package, "_is_root", lambda: True)
    with pytest.raises(DataNotFoundError) as info:
        fm.fetch_dataset(offline)
    message = str(info.value)
    assert "download failed" in message and "Unable to locate package" in message
    assert "--data-dir" in message
    # as root, the package lists are refreshed once before giving up
    assert [c[:2] for c in calls] == [
        ["apt-get", "download"],
        ["apt-get", "update"],
        ["apt-get", "download"],
    ]
    assert not (offline / "train-images-idx3-ubyte.gz").exists()
