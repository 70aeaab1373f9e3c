"""Shared test settings: where the real data lives (``../shared`` beside the clone)."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import matplotlib
import pytest

matplotlib.use("Agg")

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("TELECNN_SHARED", REPO.parent / "shared"))
F1_DATA = SHARED / "data" / "f1"
# where `make data` puts FashionMNIST, then Debian's installed package
FASHION_MNIST_DIRS = (REPO / "data" / "fashion-mnist", Path("/usr/share/datasets/fashion-mnist"))


@pytest.fixture(scope="session")
def f1_data() -> Path:
    """The real telemetry of ``../shared/data/f1`` (CI lays it beside the clone)."""
    if not F1_DATA.is_dir():
        pytest.fail(f"real telemetry not found at {F1_DATA}: ../shared must sit beside the repo")
    return F1_DATA


@pytest.fixture(scope="session")
def fashion_mnist_dir() -> Path:
    """The real FashionMNIST files (``make test`` runs ``make data`` first)."""
    for folder in FASHION_MNIST_DIRS:
        if (folder / "train-images-idx3-ubyte.gz").is_file():
            return folder
    searched = " or ".join(str(d) for d in FASHION_MNIST_DIRS)
    pytest.fail(f"FashionMNIST not found in {searched}: run `make data`")


@pytest.fixture
def torchrun() -> Callable[..., subprocess.CompletedProcess]:
    """Run ``torchrun --standalone --nproc_per_node=2 ARGS`` on the CPU (one thread a rank)."""

    def run(*args: str) -> subprocess.CompletedProcess:
        cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node=2"]
        env = {**os.environ, "OMP_NUM_THREADS": "1"}
        return subprocess.run([*cmd, *args], env=env, capture_output=True, text=True, timeout=300)

    return run


#: A tiny train-events run: a few seconds an epoch on two cores.
TINY_TRAINING = (
    "train-events",
    "--sim-laps",
    "16",
    "--circuits",
    "monza",
    "--batch-size",
    "8",
    "--width",
    "8",
    "--device",
    "cpu",
)


@pytest.fixture
def tiny_training() -> tuple[str, ...]:
    """The arguments of a tiny ``train-events`` run (a few seconds an epoch)."""
    return TINY_TRAINING
