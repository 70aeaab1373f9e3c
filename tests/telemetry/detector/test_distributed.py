"""``train-events`` under torchrun: two CPU processes, one run directory written by rank 0."""

from __future__ import annotations

from pathlib import Path

from telecnn.telemetry.detector import load_detector
from telecnn.telemetry.detector.loading import KIND
from telecnn.training import load_checkpoint


def test_two_process_training_writes_one_loadable_checkpoint(tmp_path: Path, torchrun) -> None:
    out = tmp_path / "run"
    done = torchrun(
        "-m",
        "telecnn.cli",
        "train-events",
        "--sim-laps",
        "43",  # odd on purpose: both ranks must still take the same number of steps
        "--circuits",
        "monaco",
        "--epochs",
        "2",
        "--batch-size",
        "8",
        "--width",
        "8",
        "--device",
        "cpu",
        "--out",
        str(out),
    )
    assert done.returncode == 0, done.stderr[-2000:]
    state = load_checkpoint(out, kind=KIND)
    assert state["epoch"] == 2
    assert [h["epoch"] for h in state["history"]] == [1, 2]
    # rank 0 alone writes, and alone held the folder's lock
    files = sorted(p.name for p in out.iterdir())
    assert files == [".lock", "checkpoint.pt", "history.json", "model_card.json"]
    assert done.stdout.count("trained 2 epochs") == 1 and "no model card" not in done.stdout
    detector = load_detector(out)
    assert detector.channels  # the checkpoint carries what detection needs
