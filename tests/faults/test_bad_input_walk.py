"""Every command, given a broken model, a broken source or a broken option, ends with one
``Error:`` line and exit 2, never a traceback (real processes, real laps written out broken)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch

from telecnn.telemetry.detector.loading import default_folded_path
from telecnn.training import load_checkpoint, save_checkpoint


@pytest.fixture(scope="module")
def broken(tmp_path_factory: pytest.TempPathFactory, lap_files, f1_data) -> dict[str, Path]:
    """Broken inputs of every kind, from the real files."""
    folder = tmp_path_factory.mktemp("broken")
    out: dict[str, Path] = {}
    shipped = default_folded_path().read_bytes()
    out["truncated.npz"] = folder / "truncated.npz"
    out["truncated.npz"].write_bytes(shipped[: len(shipped) // 2])
    out["other.pt"] = folder / "other.pt"
    torch.save({"weights": torch.zeros(3)}, out["other.pt"])
    out["bad-run"] = folder / "bad-run"
    out["bad-run"].mkdir()
    (out["bad-run"] / "checkpoint.pt").write_bytes(b"PK\x03\x04 not a checkpoint")
    out["deep.json"] = folder / "deep.json"
    out["deep.json"].write_text("[" * 200_000 + "]" * 200_000)
    race = lap_files["race"].read_bytes()
    out["truncated.parquet"] = folder / "truncated.parquet"
    out["truncated.parquet"].write_bytes(race[: len(race) // 3])
    out["words.csv"] = folder / "words.csv"
    out["words.csv"].write_text("Time,Speed\n" + "soon,fast\n" * 50)
    corners = json.loads((f1_data / "china-2025-r" / "corners.json").read_text())
    text = json.dumps(corners).replace(str(corners["X"][0]), "1e999", 1)
    out["corners-inf.json"] = folder / "corners-inf.json"
    out["corners-inf.json"].write_text(text)
    out["empty"] = folder / "empty"
    out["empty"].mkdir()
    return out


def _walk(lap: str, lap2: str, b: dict[str, Path], out: Path) -> dict[str, list[tuple[str, ...]]]:
    """Per kind of breakage, each command given it (paths as text)."""
    model, deep, trunc = str(b["truncated.npz"]), str(b["deep.json"]), str(b["truncated.parquet"])
    html, run = str(out / "r.html"), str(out / "run")
    return {
        "model": [
            ("detect-events", "--file", lap, "--model", model),
            ("eval-events", "--file", lap, "--model", model),
            ("summarize", "--file", lap, "--model", model),
            ("compare-laps", "--file", lap, "--file", lap2, "--model", model),
            ("report", "--file", lap, "--model", model, "--out", html),
            (
                "explain",
                "event",
                "--file",
                lap,
                "--event",
                "braking",
                "--index",
                "1",
                "--model",
                model,
            ),
            ("explain", "filters", "--model", str(b["other.pt"])),
            ("eval-images", str(b["other.pt"])),
            ("train-events", "--sim-laps", "4", "--epochs", "1", "--resume", str(b["bad-run"])),
            ("train-images", "--resume", str(b["bad-run"])),
        ],
        "source": [
            ("detect-events", "--file", deep),
            ("detect-events", "--file", lap, "--corners", str(b["corners-inf.json"])),
            ("eval-events", "--file", trunc),
            ("summarize", "--file", str(b["words.csv"])),
            ("compare-laps", "--file", deep, "--file", lap),
            ("report", "--file", trunc, "--out", html),
            ("telemetry", "show", "--file", deep),
            ("kernels", "apply", "edge", "--file", trunc, "--column", "Speed"),
            ("explain", "event", "--file", deep, "--event", "braking", "--index", "1"),
            ("train-events", "--sim-laps", "4", "--file", deep, "--out", run),
            ("eval-images", str(b["bad-run"]), "--data-dir", str(b["empty"])),
        ],
        "option": [
            ("detect-events", "--file", lap, "--batch-size", "0"),
            ("detect-events", "--file", lap, "--out", str(out / "e.csv"), "--plot", "f.xyz"),
            ("eval-events", "--file", lap, "--channels", ","),
            ("summarize", "--file", lap, "--plot", str(out / "s.xyz")),
            ("compare-laps", "--file", lap, "--file", lap2, "--event", "nothing"),
            ("report", "--file", lap, "--out", str(out / "r.txt")),
            ("telemetry", "show", "--file", lap, "--max-rows", "0"),
            ("telemetry", "simulate", "--circuit", "monza", "--laps", "0", "--out", "s.csv"),
            ("kernels", "apply", "no-such-kernel", "--file", lap, "--column", "Speed"),
            ("explain", "event", "--file", lap, "--event", "braking"),
            ("explain", "filters", "--plot", str(out / "f.xyz")),
            ("train-events", "--batch-size", "-1", "--out", run),
            ("train-images", "--batch-size", "0", "--out", run),
            ("eval-images", str(b["bad-run"]), "--device", "tpu"),
        ],
    }


KINDS = {"model": 10, "source": 11, "option": 14}
CASES = [(kind, k) for kind, n in KINDS.items() for k in range(n)]


@pytest.mark.parametrize(("kind", "k"), CASES, ids=[f"{kind}-{k}" for kind, k in CASES])
def test_every_command_refuses_broken_input_in_one_line(
    kind, k, broken, lap_files, tmp_path, telecnn, one_line_exit
) -> None:
    walk = _walk(str(lap_files["LEC"]), str(lap_files["NOR"]), broken, tmp_path)
    assert {name: len(cases) for name, cases in walk.items()} == KINDS
    args = walk[kind][k]
    one_line_exit(2, telecnn(*args))
    assert not [p for p in tmp_path.rglob("*") if p.is_file()], "nothing is written"


def _folded(broken_header: object = None, **arrays: np.ndarray) -> dict[str, np.ndarray]:
    with np.load(default_folded_path(), allow_pickle=False) as data:
        out = {name: data[name] for name in data.files}
    if broken_header is not None:
        out["header"] = np.frombuffer(json.dumps(broken_header).encode(), dtype=np.uint8)
    return {**out, **arrays}


def without(mapping: dict, key: str) -> dict:
    return {k: v for k, v in mapping.items() if k != key}


def _model_files(folder: Path) -> dict[str, tuple[Path, str]]:
    """Model files that are no telecnn detector, and a word each refusal must have."""
    header = json.loads(bytes(_folded()["header"]).decode())
    state = load_checkpoint(default_folded_path().with_suffix(".pt"))
    cases = {
        "not-ours.npz": ({"weights": np.zeros(3)}, "not a folded event detector"),
        "missing-key.npz": (_folded(without(header, "dilations")), "no 'dilations'"),
        "list-header.npz": (_folded([1, 2, 3]), "header is a JSON list"),
        "bad-shapes.npz": (_folded(**{"stem.w": np.zeros((32, 3, 5))}), "conv1d"),
        "no-norm.npz": (_folded({**header, "meta": without(header["meta"], "normalisation")}),
                        "no 'normalisation'"),
    }  # fmt: skip
    out = {}
    for name, (arrays, word) in cases.items():
        np.savez(folder / name, **arrays)
        out[name] = (folder / name, word)
    out["truncated.npz"] = (folder / "truncated.npz", "not a folded event detector")
    blob = default_folded_path().read_bytes()
    out["truncated.npz"][0].write_bytes(blob[:1000])
    image = {**state, "kind": "image-classifier", "model_name": "simple-cnn"}
    save_checkpoint(folder / "image.pt", without(image, "format"))
    out["image.pt"] = (folder / "image.pt", "image-classifier")
    config = without(state, "format") | {"model_config": [1, 2]}
    save_checkpoint(folder / "bad-config.pt", config)
    out["bad-config.pt"] = (folder / "bad-config.pt", "is not an event detector")
    torch.save(torch.nn.Linear(2, 2).state_dict(), folder / "state-dict.pt")
    out["state-dict.pt"] = (folder / "state-dict.pt", "not a telecnn checkpoint")
    out["csv-as.pt"] = (folder / "csv-as.pt", "not a readable telecnn checkpoint")
    out["csv-as.pt"][0].write_text("Time,Speed\n0,100\n")
    return out


MODEL_FILES = ("not-ours.npz", "missing-key.npz", "list-header.npz", "bad-shapes.npz",
               "no-norm.npz", "truncated.npz", "image.pt", "bad-config.pt", "state-dict.pt",
               "csv-as.pt")  # fmt: skip


@pytest.mark.parametrize("name", MODEL_FILES)
def test_a_model_file_that_is_no_detector_is_one_line_before_any_lap_is_read(
    name, lap_files, tmp_path, telecnn, one_line_exit
) -> None:
    path, word = _model_files(tmp_path)[name]
    out = tmp_path / "events.csv"
    args = ("detect-events", "--file", str(lap_files["LEC"]), "--model", str(path))
    one_line_exit(2, telecnn(*args, "--out", str(out)), str(path.name), word)
    assert not out.exists()


def test_json_nested_too_deeply_is_one_line_for_every_json_input(
    broken, lap_files, telecnn, one_line_exit
) -> None:
    deep, lap = str(broken["deep.json"]), str(lap_files["LEC"])
    one_line_exit(2, telecnn("detect-events", "--file", deep), "deep.json", "nested too deeply")
    one_line_exit(2, telecnn("detect-events", "--file", lap, "--corners", deep), "nested")


def test_json_too_large_for_memory_is_one_line(tmp_path, monkeypatch) -> None:
    from telecnn.errors import TelecnnError
    from telecnn.telemetry.sources import json_files

    def out_of_memory(text: str) -> object:
        raise MemoryError

    big = tmp_path / "big.json"
    big.write_text("[]")
    monkeypatch.setattr(json_files.json, "loads", out_of_memory)
    with pytest.raises(TelecnnError, match="big.json: too large to read into memory"):
        json_files.read_json(big)


def test_corners_with_an_infinite_number_are_refused(broken, lap_files, telecnn, one_line_exit):
    args = ("detect-events", "--file", str(lap_files["LEC"]), "--detector", "rules")
    done = telecnn(*args, "--corners", str(broken["corners-inf.json"]))
    one_line_exit(2, done, "corners-inf.json", "T1", "not a finite number")


def test_batch_size_is_bounded(lap_files, telecnn, one_line_exit) -> None:
    lap = str(lap_files["LEC"])
    for size in ("0", "-3", "100000"):
        one_line_exit(2, telecnn("detect-events", "--file", lap, "--batch-size", size), "batch")
    assert telecnn("detect-events", "--file", lap, "--batch-size", "1").returncode == 0


def test_an_unknown_figure_format_is_refused_before_any_output(
    lap_files, tmp_path, telecnn, one_line_exit
) -> None:
    out = tmp_path / "events.csv"
    done = telecnn("detect-events", "--file", str(lap_files["LEC"]), "--out", str(out),
                   "--plot", str(tmp_path / "f.xyz"))  # fmt: skip
    one_line_exit(2, done, "--plot", "figure format")
    assert not out.exists()
