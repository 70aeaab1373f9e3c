"""Stopping is saving, with real processes: SIGTERM or SIGINT in mid-epoch stops either
trainer at the next batch with a checkpoint; the resumed run ends with the weights of the same
run uninterrupted, bit for bit."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from telecnn.training import load_checkpoint

#: Enough laps that an epoch lasts about a second: the signal must come while epoch 2 runs,
#: however late a loaded machine lets the test read its marker (48 laps: 0.1 s, a flake).
DETECTOR = (
    "train-events", "--sim-laps", "240", "--circuits", "monza", "--batch-size", "2",
    "--width", "8", "--epochs", "2", "--seed", "3",
)  # fmt: skip


def _images(data: Path) -> tuple[str, ...]:
    return (
        "train-images", "--model", "simple-cnn", "--epochs", "2", "--limit", "640",
        "--batch-size", "16", "--data-dir", str(data), "--no-figures",
    )  # fmt: skip


def _env() -> dict[str, str]:
    return {**os.environ, "MPLBACKEND": "Agg", "OMP_NUM_THREADS": "1"}


def _signal_when(proc: subprocess.Popen, marker: str, sig: int, times: int = 1) -> str:
    """Once ``marker`` shows on the process's stderr, send it ``sig`` ``times`` times; wait
    for it to end and return all its stderr."""
    assert proc.stderr is not None
    seen = b""
    while marker.encode() not in seen:
        chunk = os.read(proc.stderr.fileno(), 4096)
        assert chunk, seen.decode(errors="replace")[-2000:]
        seen += chunk
    for _ in range(times):
        proc.send_signal(sig)
    rest = proc.stderr.read()
    proc.wait(timeout=300)
    return (seen + rest).decode(errors="replace")


def _stopped(args: tuple[str, ...], sig: int, marker: str) -> tuple[int, str]:
    """Run ``telecnn ARGS``; once ``marker`` shows on stderr (the second epoch's progress
    bar), send ``sig`` (twice: the second must be ignored while saving). Exit code, stderr."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "telecnn.cli", *args], stderr=subprocess.PIPE, env=_env()
    )
    stderr = _signal_when(proc, marker, sig, times=2)
    return proc.returncode, stderr


def _run(args: tuple[str, ...]) -> subprocess.CompletedProcess:
    done = subprocess.run(
        [sys.executable, "-m", "telecnn.cli", *args],
        capture_output=True,
        text=True,
        env=_env(),
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return done


def _weights(run_dir: Path) -> dict[str, torch.Tensor]:
    return load_checkpoint(run_dir / "checkpoint.pt")["model_state"]


def _check(tmp_path: Path, args: tuple[str, ...], sig: int, code: int, command: str) -> None:
    straight, stopped = tmp_path / "straight", tmp_path / "stopped"
    _run((*args, "--out", str(straight)))
    returncode, stderr = _stopped((*args, "--out", str(stopped)), sig, "epoch 2/2")
    assert returncode == code, stderr[-2000:]
    assert "Traceback" not in stderr, stderr[-2000:]
    last = stderr.strip().splitlines()[-1]
    assert last.startswith(f"stopped by {signal.Signals(sig).name} in epoch 2"), last
    assert last.endswith(f"resume with: telecnn {command} --resume {stopped}"), last
    state = load_checkpoint(stopped / "checkpoint.pt")
    assert state["epoch"] == 1 and state["mid_epoch"] is not None
    _run((*args, "--resume", str(stopped)))
    a, b = _weights(straight), _weights(stopped)
    assert a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)


@pytest.mark.parametrize(("sig", "code"), [(signal.SIGTERM, 143), (signal.SIGINT, 130)])
def test_the_detector_trainer_stops_saving_and_resumes_bit_identical(tmp_path, sig, code):
    _check(tmp_path, DETECTOR, sig, code, "train-events")


def test_the_image_trainer_stops_saving_and_resumes_bit_identical(tmp_path, fashion_mnist_dir):
    _check(tmp_path, _images(fashion_mnist_dir), signal.SIGTERM, 143, "train-images")


def test_under_torchrun_every_rank_stops_at_the_same_batch(tmp_path):
    """SIGTERM to torchrun reaches every rank; they agree on the stop each batch, rank 0 saves
    both ranks' generators, and ``torchrun ... --resume`` ends where the uninterrupted job does."""
    launch = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node=2"]
    args = (*DETECTOR, "--device", "cpu")
    straight, stopped = tmp_path / "straight", tmp_path / "stopped"
    env = _env()

    def job(*extra: str) -> None:
        cmd = [*launch, "-m", "telecnn.cli", *args, *extra]
        done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, done.stderr[-2000:]

    job("--out", str(straight))
    cmd = [*launch, "-m", "telecnn.cli", *args, "--out", str(stopped)]
    proc = subprocess.Popen(cmd, stderr=subprocess.PIPE, env=env)
    stderr = _signal_when(proc, "epoch 2/2", signal.SIGTERM)
    assert proc.returncode != 0
    assert "stopped by SIGTERM in epoch 2" in stderr, stderr[-3000:]
    state = load_checkpoint(stopped / "checkpoint.pt")
    assert state["mid_epoch"] is not None and len(state["mid_epoch"]["rng"]) == 2
    job("--resume", str(stopped))
    a, b = _weights(straight), _weights(stopped)
    assert all(torch.equal(a[k], b[k]) for k in a)
