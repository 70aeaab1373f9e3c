"""A write that fails (a full disk, a file too large) is one line, exit 1, and loses nothing.

The real command runs in a subprocess whose file-size limit (``RLIMIT_FSIZE``) is too small
for the output: Python ignores SIGXFSZ, so the write fails with EFBIG as on a full disk.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import torch


def _temp_files(folder: Path) -> list[Path]:
    return [p for p in folder.rglob("*") if p.name.endswith(".tmp")]


@pytest.mark.parametrize("suffix", [".csv", ".json", ".parquet"])
def test_events_that_do_not_fit_keep_the_previous_file(
    tmp_path: Path, suffix: str, telecnn, one_line_exit
) -> None:
    out = tmp_path / f"events{suffix}"
    previous = b"the previous results\n"
    out.write_bytes(previous)
    race = ("detect-events", "--sim", "monza", "--sim-laps", "4", "--detector", "rules")
    one_line_exit(
        1,
        telecnn(*race, "--out", str(out), max_bytes=2_000),
        f"cannot write {out}",
        "file too large",
        "nothing written; the previous file is unchanged",
    )
    assert out.read_bytes() == previous and not _temp_files(tmp_path)
    assert telecnn(*race, "--out", str(out)).returncode == 0  # room again: it writes
    assert out.stat().st_size > 2_000


def test_a_checkpoint_that_does_not_fit_keeps_the_last_epoch_and_resumes(
    tmp_path: Path, telecnn, one_line_exit, tiny_training
) -> None:
    run_dir = tmp_path / "run"
    first = telecnn(*tiny_training, "--epochs", "1", "--out", str(run_dir))
    assert first.returncode == 0, first.stderr[-2000:]
    saved = (run_dir / "checkpoint.pt").read_bytes()
    size = len(saved)
    one_line_exit(
        1,
        telecnn(*tiny_training, "--epochs", "2", "--resume", str(run_dir), max_bytes=size // 2),
        f"cannot write {run_dir / 'checkpoint.pt'}",
        "file too large",
        "the previous file is unchanged",
    )
    assert (run_dir / "checkpoint.pt").read_bytes() == saved and not _temp_files(tmp_path)
    done = telecnn(*tiny_training, "--epochs", "2", "--resume", str(run_dir))
    assert done.returncode == 0, done.stderr[-2000:]
    assert torch.load(run_dir / "checkpoint.pt", weights_only=True)["epoch"] == 2


def test_an_output_under_a_file_is_one_line(tmp_path: Path, telecnn, one_line_exit) -> None:
    (tmp_path / "report").write_text("a file, not a folder")
    out = tmp_path / "report" / "events.csv"
    done = telecnn("detect-events", "--sim", "monza", "--detector", "rules", "--out", str(out))
    one_line_exit(1, done, f"cannot write {out}", "is a file, not a folder", "(nothing written)")
