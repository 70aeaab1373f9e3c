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


def assert_one_line_error(result, *fragments: str) -> None:
    assert result.exit_code == 2, result.output
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
    assert_one_line_error(again, "already holds a run", "--resume")


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
    assert_one_line_error(result, "cannot create run directory")
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
