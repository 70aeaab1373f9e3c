"""Fixtures of the image-pipeline tests: small IDX data sets and one short real training run."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from vision.fashion_mnist import SPLITS
from vision.idx import write_idx

SHORT_RUN = {"model": "simple-cnn", "epochs": 2, "limit": 10_000, "seed": 42}


def write_tiny_dataset(
    folder: Path, n_train: int = 64, n_test: int = 32, compress: bool = True, seed: int = 0
) -> Path:
    """Four IDX files of random 28x28 images and labels 0..9, as the real ones are laid out."""
    rng = np.random.default_rng(seed)
    suffix = ".gz" if compress else ""
    for split, n in (("train", n_train), ("test", n_test)):
        images_name, labels_name = SPLITS[split]
        write_idx(
            folder / (images_name + suffix), rng.integers(0, 256, (n, 28, 28), np.uint8), compress
        )
        write_idx(
            folder / (labels_name + suffix), rng.integers(0, 10, n).astype(np.uint8), compress
        )
    return folder


@pytest.fixture(name="write_tiny_dataset")
def write_tiny_dataset_fixture():
    """The :func:`write_tiny_dataset` helper, for tests that lay out their own folders."""
    return write_tiny_dataset


@pytest.fixture
def tiny_dataset(tmp_path: Path) -> Path:
    return write_tiny_dataset(tmp_path / "tiny")


@pytest.fixture(scope="session")
def short_run_options() -> dict:
    """The options of :func:`short_run` (a resumed run must reproduce it)."""
    return dict(SHORT_RUN)


@pytest.fixture(scope="session")
def short_run(tmp_path_factory: pytest.TempPathFactory, fashion_mnist_dir: Path):
    """SimpleCNN, 2 epochs on the first 10,000 real training images (about 10 s on 2 cores)."""
    from vision.train import ImageTrainConfig, train_images

    out = tmp_path_factory.mktemp("short") / "run"
    config = ImageTrainConfig(
        **SHORT_RUN, data_dir=str(fashion_mnist_dir), out=str(out), show_progress=False
    )
    return train_images(config)
