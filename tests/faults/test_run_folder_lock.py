"""A run folder belongs to one process: a second run on it is refused, naming the holder."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

HOLD = """
import sys, time
from telecnn.training import hold_run_folder
with hold_run_folder(sys.argv[1]):
    print("held", flush=True)
    time.sleep(120)
"""


def _holder(folder: Path) -> subprocess.Popen:
    """Another process holding ``folder``'s lock until it is killed."""
    proc = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(folder)], stdout=subprocess.PIPE, text=True
    )
    assert proc.stdout is not None and proc.stdout.readline().strip() == "held"
    return proc


def test_a_second_detector_run_on_a_held_folder_is_refused(
    tmp_path: Path, telecnn, one_line_exit, tiny_training
) -> None:
    run_dir = tmp_path / "run"
    holder = _holder(run_dir)
    try:
        done = telecnn(*tiny_training, "--epochs", "1", "--out", str(run_dir))
        one_line_exit(2, done, f"{run_dir} is in use by another run (PID {holder.pid})")
        assert sorted(p.name for p in run_dir.iterdir()) == [".lock"]  # nothing changed
    finally:
        holder.send_signal(signal.SIGKILL)  # kill -9: the OS releases the lock
        holder.wait()
    done = telecnn(*tiny_training, "--epochs", "1", "--out", str(run_dir))
    assert done.returncode == 0, done.stderr[-2000:]


def test_a_second_image_run_on_a_held_folder_is_refused(
    tmp_path: Path, fashion_mnist_dir: Path, telecnn, one_line_exit
) -> None:
    run_dir = tmp_path / "images"
    holder = _holder(run_dir)
    images = ("train-images", "--model", "simple-cnn", "--epochs", "1", "--limit", "500")
    args = (*images, "--data-dir", str(fashion_mnist_dir), "--no-figures", "--out", str(run_dir))
    try:
        one_line_exit(2, telecnn(*args), f"in use by another run (PID {holder.pid})")
        assert sorted(p.name for p in run_dir.iterdir()) == [".lock"]
    finally:
        holder.kill()
        holder.wait()


def test_two_runs_started_together_leave_the_first_ones_results(
    tmp_path: Path, telecnn, one_line_exit, tiny_training
) -> None:
    run_dir = tmp_path / "run"
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    cmd = [sys.executable, "-m", "telecnn.cli", *tiny_training, "--out", str(run_dir)]
    first = subprocess.Popen([*cmd, "--epochs", "3"], stderr=subprocess.PIPE, text=True, env=env)
    lock = run_dir / ".lock"
    deadline = time.monotonic() + 60
    while not (lock.is_file() and lock.read_text().strip()) and time.monotonic() < deadline:
        time.sleep(0.05)
    second = telecnn(*tiny_training, "--epochs", "1", "--out", str(run_dir))
    line = one_line_exit(2, second)
    # refused either way: the lock while the first starts, its checkpoint once it has one
    assert f"in use by another run (PID {first.pid})" in line or "already holds a run" in line
    _, err = first.communicate(timeout=300)
    assert first.returncode == 0, err[-2000:]
    history = json.loads((run_dir / "history.json").read_text())
    assert [h["epoch"] for h in history] == [1, 2, 3]  # the first run's, whole
