"""``telecnn train-images`` and ``eval-images``: real runs, and bad input as one line + exit 2."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
from click.testing import CliRunner

from telecnn.cli import main
from telecnn.errors import DataNotFoundError
from telecnn.training import save_checkpoint
from vision import fashion_mnist as fm


def invoke(*args: str):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def assert_one_line_error(result, *fragments: str, exit_code: int = 2) -> None:
    assert result.exit_code == exit_code, result.output
    assert "Traceback" not in result.output
    # one error line (a progress bar, erased on a terminal, may precede it here)
    lines = [line for line in result.output.splitlines() if line.startswith("Error")]
    assert len(lines) == 1, result.output
    for fragment in fragments:
        assert fragment in lines[0]


def test_train_images_cli_writes_a_run(fashion_mnist_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "cli-run"
    result = invoke(
        "train-images",
        "--model",
        "simple-cnn",
        "--epochs",
        "1",
        "--limit",
        "2000",
        "--data-dir",
        str(fashion_mnist_dir),
        "--out",
        str(out),
        "--no-figures",
    )
    assert result.exit_code == 0, result.output
    assert "test accuracy" in result.output and f"run directory: {out}" in result.output
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["train_images"] == 2000 and metrics["epochs"] == 1
    again = invoke("train-images", "--data-dir", str(fashion_mnist_dir), "--out", str(out))
    assert_one_line_error(again, "already holds a run", f"--resume {out}", "--force")


def _epochs(run_dir: Path) -> tuple[int, int, int]:
    """Epochs of the run's history file, checkpoint and final metrics."""
    history = json.loads((run_dir / "history.json").read_text())
    assert [h["epoch"] for h in history] == list(range(1, len(history) + 1))
    state = torch.load(run_dir / "checkpoint.pt", weights_only=True)
    return (
        len(history),
        state["epoch"],
        json.loads((run_dir / "metrics.json").read_text())["epochs"],
    )


def test_run_folder_force_resume_and_extend(tiny_dataset: Path, tmp_path: Path) -> None:
    out = tmp_path / "run"
    data = ("--data-dir", str(tiny_dataset), "--no-figures")
    first = invoke(
        "train-images", *data, "--model", "simple-cnn", "--epochs", "1", "--out", str(out)
    )
    assert first.exit_code == 0, first.output
    assert _epochs(out) == (1, 1, 1)
    # a used folder is refused for a new run; resuming a complete run says so
    assert_one_line_error(invoke("train-images", *data, "--out", str(out)), "already holds a run")
    assert_one_line_error(
        invoke("train-images", *data, "--resume", str(out)),
        "is already complete (1 epoch)",
        "give --epochs above 1",
    )
    # a larger --epochs extends it: history, checkpoint and metrics grow, and it still loads
    extended = invoke("train-images", *data, "--resume", str(out), "--epochs", "2")
    assert extended.exit_code == 0, extended.output
    assert "after 2 epochs" in extended.output and f"run directory: {out}" in extended.output
    assert _epochs(out) == (2, 2, 2)
    assert json.loads((out / "run.json").read_text())["epochs"] == 2
    report = invoke("eval-images", str(out), "--data-dir", str(tiny_dataset))
    assert report.exit_code == 0 and "test accuracy" in report.output
    # the bare flag continues the --out folder (train-events' form)
    bare = invoke("train-images", *data, "--out", str(out), "--resume", "--epochs", "3")
    assert bare.exit_code == 0, bare.output
    assert _epochs(out) == (3, 3, 3)
    assert_one_line_error(
        invoke("train-images", *data, "--resume", str(out), "--epochs", "2"),
        "has 3 epochs already, more than --epochs 2",
    )
    # --force starts over in the same folder
    forced = invoke(
        "train-images",
        *data,
        "--model",
        "simple-cnn",
        "--epochs",
        "1",
        "--out",
        str(out),
        "--force",
    )
    assert forced.exit_code == 0, forced.output
    assert _epochs(out) == (1, 1, 1)


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["--resume", "{tmp}/nowhere"], "nothing to resume: no checkpoint in"),
        (["--resume", "{tmp}"], "nothing to resume: no checkpoint in"),
        (["--resume"], "--resume needs the run folder"),
        (["--resume", "{tmp}/a", "--out", "{tmp}/b"], "drop --out"),
        (["--resume", "{tmp}/a", "--force"], "--force starts a new run"),
    ],
)
def test_bad_resume(args: list[str], fragment: str, tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    save_checkpoint(
        tmp_path / "a" / "checkpoint.pt",
        {"kind": "image-classifier", "model_name": "simple-cnn", "model_config": {}, "epoch": 1},
    )
    args = [a.format(tmp=tmp_path) for a in args]
    assert_one_line_error(invoke("train-images", *args), fragment)


def test_eval_images_reports_the_runs_accuracy(
    short_run, fashion_mnist_dir: Path, tmp_path: Path
) -> None:
    report_path = tmp_path / "report.json"
    result = invoke(
        "eval-images",
        str(short_run.run_dir / "checkpoint.pt"),
        "--data-dir",
        str(fashion_mnist_dir),
        "--json",
        str(report_path),
    )
    assert result.exit_code == 0, result.output
    accuracy = short_run.metrics["accuracy"]
    assert f"test accuracy: {accuracy * 100:.2f}%" in result.output
    assert "most confused:" in result.output and "Ankle boot" in result.output
    saved = json.loads(report_path.read_text())
    assert saved["confusion"] == short_run.metrics["confusion"]


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["--epochs", "0"], "--epochs must be at least 1"),
        (["--batch-size", "0"], "--batch-size must be at least 1"),
        (["--limit", "0"], "--limit must be at least 1"),
        (["--lr", "-1"], "--lr must be a positive number"),
    ],
)
def test_bad_training_options(args: list[str], fragment: str, tmp_path: Path) -> None:
    out = tmp_path / "never"
    assert_one_line_error(invoke("train-images", *args, "--out", str(out)), fragment)
    assert not out.exists()


def test_missing_data_dir(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    out = tmp_path / "never"
    result = invoke("train-images", "--data-dir", str(tmp_path / "empty"), "--out", str(out))
    assert_one_line_error(result, "lacks FashionMNIST file")
    assert not out.exists()


def test_no_data_anywhere(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("TELECNN_DATA", raising=False)
    monkeypatch.setattr(fm, "SYSTEM_DIR", tmp_path / "none")
    monkeypatch.setattr(fm, "OFFICIAL_URL", "http://127.0.0.1:9/")
    monkeypatch.setattr(fm.debian_package, "unpacked_package", _no_debian_package)
    result = invoke("train-images", "--out", str(tmp_path / "never"))
    assert_one_line_error(result, "--data-dir", "dataset-fashion-mnist")
    assert not (tmp_path / "never").exists()


def _no_debian_package():
    raise DataNotFoundError("apt-get download dataset-fashion-mnist failed: not in this test")


@pytest.mark.parametrize("damage", ["truncate", "magic", "count"])
def test_corrupt_idx_files(damage: str, tiny_dataset: Path, tmp_path: Path) -> None:
    import gzip

    from vision.idx import write_idx

    images = tiny_dataset / "train-images-idx3-ubyte.gz"
    data = gzip.decompress(images.read_bytes())
    if damage == "truncate":
        images.write_bytes(gzip.compress(data[:-100]))
        fragment = "is truncated"
    elif damage == "magic":
        images.write_bytes(gzip.compress(b"\x00\x00\x07\x03" + data[4:]))
        fragment = "not an IDX file"
    else:
        write_idx(
            tiny_dataset / "train-labels-idx1-ubyte.gz",
            torch.zeros(63, dtype=torch.uint8).numpy(),
            compress=True,
        )
        fragment = "holds 64 images but"
    out = tmp_path / "never"
    result = invoke("train-images", "--data-dir", str(tiny_dataset), "--out", str(out))
    assert_one_line_error(result, fragment)
    assert not out.exists()


def test_checkpoint_of_another_model(tmp_path: Path) -> None:
    detector = save_checkpoint(
        tmp_path / "detector.pt",
        {
            "kind": "event-detector",
            "model_name": "tcn",
            "model_config": {},
            "model_state": {},
        },
    )
    assert_one_line_error(
        invoke("eval-images", str(detector)), "event-detector", "image-classifier"
    )
    assert_one_line_error(invoke("train-images", "--resume", str(detector)), "event-detector")
    junk = tmp_path / "junk.pt"
    junk.write_bytes(b"not a checkpoint")
    assert_one_line_error(invoke("eval-images", str(junk)), "not a readable telecnn checkpoint")
    assert_one_line_error(invoke("eval-images", str(tmp_path / "absent")), "no checkpoint at")


def test_unwritable_out(tiny_dataset: Path, tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    result = invoke(
        "train-images",
        "--data-dir",
        str(tiny_dataset),
        "--epochs",
        "1",
        "--out",
        str(blocker / "run"),
        "--no-figures",
    )
    # a failed write: exit 1, and the file in the way is untouched
    assert_one_line_error(result, f"cannot write to {blocker / 'run'}", "a file", exit_code=1)
    assert blocker.read_text() == "not a folder"


def test_failure_before_first_checkpoint_leaves_no_run_dir(
    tiny_dataset: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from telecnn.errors import TelecnnError
    from vision import train as train_module

    def broken(*args, **kwargs):
        raise TelecnnError("evaluation failed")

    monkeypatch.setattr(train_module, "predict_logits", broken)
    out = tmp_path / "run"
    result = invoke(
        "train-images",
        "--data-dir",
        str(tiny_dataset),
        "--epochs",
        "1",
        "--out",
        str(out),
        "--model",
        "simple-cnn",
    )
    assert_one_line_error(result, "evaluation failed")
    assert not out.exists()
