"""A write that fails (a full disk, a file too large) is one line, exit 1, and loses nothing.

The real command runs in a subprocess whose file-size limit (``RLIMIT_FSIZE``) is too small
for the output: Python ignores SIGXFSZ, so the write fails with EFBIG as on a full disk.
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys
from pathlib import Path

import pytest
import torch

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


def telecnn(*args: str, max_bytes: int | None = None) -> subprocess.CompletedProcess:
    """``telecnn ARGS`` in a subprocess, its files limited to ``max_bytes`` when given."""

    def limit() -> None:
        if max_bytes is not None:
            resource.setrlimit(resource.RLIMIT_FSIZE, (max_bytes, max_bytes))

    env = {**os.environ, "MPLBACKEND": "Agg", "OMP_NUM_THREADS": "1"}
    return subprocess.run(
        [sys.executable, "-m", "telecnn.cli", *args],
        capture_output=True,
        text=True,
        env=env,
        preexec_fn=limit,
        timeout=300,
    )


def _one_line_exit_1(done: subprocess.CompletedProcess, *parts: str) -> str:
    assert done.returncode == 1, done.stderr[-2000:]
    assert "Traceback" not in done.stderr, done.stderr[-2000:]
    last = done.stderr.strip().splitlines()[-1]  # after the progress bars
    assert last.startswith("Error: ") and done.stderr.count("Error") == 1, done.stderr[-2000:]
    for part in parts:
        assert part in last, last
    return last


def _temp_files(folder: Path) -> list[Path]:
    return [p for p in folder.rglob("*") if p.name.endswith(".tmp")]


@pytest.mark.parametrize("suffix", [".csv", ".json", ".parquet"])
def test_events_that_do_not_fit_keep_the_previous_file(tmp_path: Path, suffix: str) -> None:
    out = tmp_path / f"events{suffix}"
    previous = b"the previous results\n"
    out.write_bytes(previous)
    race = ("detect-events", "--sim", "monza", "--sim-laps", "4", "--detector", "rules")
    _one_line_exit_1(
        telecnn(*race, "--out", str(out), max_bytes=2_000),
        f"cannot write {out}",
        "file too large",
        "nothing written; the previous file is unchanged",
    )
    assert out.read_bytes() == previous and not _temp_files(tmp_path)
    assert telecnn(*race, "--out", str(out)).returncode == 0  # room again: it writes
    assert out.stat().st_size > 2_000


def test_a_checkpoint_that_does_not_fit_keeps_the_last_epoch_and_resumes(tmp_path: Path) -> None:
    run_dir = tmp_path / "run"
    first = telecnn(*TINY_TRAINING, "--epochs", "1", "--out", str(run_dir))
    assert first.returncode == 0, first.stderr[-2000:]
    saved = (run_dir / "checkpoint.pt").read_bytes()
    size = len(saved)
    _one_line_exit_1(
        telecnn(*TINY_TRAINING, "--epochs", "2", "--resume", str(run_dir), max_bytes=size // 2),
        f"cannot write {run_dir / 'checkpoint.pt'}",
        "file too large",
        "the previous file is unchanged",
    )
    assert (run_dir / "checkpoint.pt").read_bytes() == saved and not _temp_files(tmp_path)
    done = telecnn(*TINY_TRAINING, "--epochs", "2", "--resume", str(run_dir))
    assert done.returncode == 0, done.stderr[-2000:]
    assert torch.load(run_dir / "checkpoint.pt", weights_only=True)["epoch"] == 2


def test_an_output_under_a_file_is_one_line(tmp_path: Path) -> None:
    (tmp_path / "report").write_text("a file, not a folder")
    out = tmp_path / "report" / "events.csv"
    done = telecnn("detect-events", "--sim", "monza", "--detector", "rules", "--out", str(out))
    _one_line_exit_1(done, f"cannot write {out}", "is a file, not a folder", "(nothing written)")
