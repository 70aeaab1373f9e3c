"""The detector's CLI: --sim (no network), --file, --out formats, --plot, eval, bad input, and
train-events' run folder (new, refused, forced, resumed, extended)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from telecnn.cli import main
from telecnn.telemetry.detector.model import EventCNN
from telecnn.telemetry.laps.schema import EVENT_COLUMNS, EVENT_TYPES, Lap
from telecnn.telemetry.sources.files import laps_frame
from telecnn.training import load_checkpoint, save_checkpoint


def run(*args: str) -> object:
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def test_demo_sim_writes_csv_and_figure(tmp_path: Path) -> None:
    out, fig = tmp_path / "events.csv", tmp_path / "events.png"
    result = run(
        "detect-events", "--sim", "monza", "--seed", "7", "--plot", str(fig), "--out", str(out)
    )
    assert result.exit_code == 0, result.output
    events = pd.read_csv(out)
    assert list(events.columns[: len(EVENT_COLUMNS)]) == list(EVENT_COLUMNS)
    braking = (events.event == "braking").sum()
    assert 5 <= braking <= 12  # Monza: 6-7 braking zones
    assert f"braking {braking}" in result.output  # the printed table agrees with the file
    assert fig.stat().st_size > 10_000 and fig.read_bytes()[:4] == b"\x89PNG"


def test_file_input_multi_lap_json_and_parquet(tmp_path: Path, china_laps: list[Lap]) -> None:
    source = tmp_path / "laps.parquet"
    laps_frame(china_laps[1:4]).to_parquet(source)
    out_json = tmp_path / "events.json"
    result = run("detect-events", "--file", str(source), "--out", str(out_json))
    assert result.exit_code == 0, result.output
    records = json.loads(out_json.read_text())
    assert isinstance(records, list) and {"driver", "lap", "event"} <= set(records[0])
    assert {(r["driver"], r["lap"]) for r in records} == {
        (lap.meta.driver, lap.meta.lap_number) for lap in china_laps[1:4]
    }
    out_pq = tmp_path / "events.parquet"
    assert run("detect-events", "--file", str(source), "--out", str(out_pq)).exit_code == 0
    assert len(pd.read_parquet(out_pq)) == len(records)


def test_rules_detector_and_speed_only_from_a_csv_export(tmp_path: Path, quali_laps) -> None:
    lap = quali_laps[0]
    source = tmp_path / "lap.csv"
    lap.data.to_csv(source, index=False)
    rules = run("detect-events", "--file", str(source), "--detector", "rules")
    assert rules.exit_code == 0 and "braking" in rules.output
    out = tmp_path / "speed.csv"
    cnn = run("detect-events", "--file", str(source), "--channels", "Speed", "--out", str(out))
    assert cnn.exit_code == 0, cnn.output
    braking = (pd.read_csv(out).event == "braking").sum()
    assert 8 <= braking <= 14  # the Hungaroring's 11-12 braking zones, from Speed alone
    assert f"braking {braking}" in cnn.output


def test_eval_events_scores_to_json(tmp_path: Path, quali_laps) -> None:
    source = tmp_path / "laps.csv"
    laps_frame(quali_laps[:3]).to_csv(source, index=False)
    out = tmp_path / "scores.json"
    result = run("eval-events", "--file", str(source), "--out", str(out))
    assert result.exit_code == 0, result.output
    scores = json.loads(out.read_text())["scores"]
    assert scores["braking"]["f1"] >= 0.9 and scores["braking"]["labelled"] >= 30
    # with Brake read, braking's edges are the channel's: a note says the scores are the CNN's
    # choice of zones; through Speed alone they are the CNN's own, and no note
    note = [line for line in result.stderr.split("\r") if "take their edges" in line]
    assert note and note[0].startswith("note: braking, drs, lift_coast"), result.stderr[-400:]
    speed = run("eval-events", "--file", str(source), "--channels", "Speed")
    assert speed.exit_code == 0 and "take their edges" not in speed.stderr


def _one_line_exit_2(result: object, *words: str) -> None:
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    lines = [line for line in result.stderr.splitlines() if line.strip() and "lap/s" not in line]
    assert len(lines) == 1 and lines[0].startswith("Error: "), result.stderr
    for word in words:
        assert word in lines[0], lines[0]


def test_bad_input_is_one_line_and_exit_2(tmp_path: Path, quali_laps) -> None:
    _one_line_exit_2(run("detect-events", "--sim", "silverstone"), "unknown circuit")
    lap = quali_laps[0]
    short = tmp_path / "short.csv"
    lap.data[lap.data.Time < 2.5].to_csv(short, index=False)
    _one_line_exit_2(run("detect-events", "--file", str(short)), "too short")
    image = tmp_path / "image.pt"
    save_checkpoint(
        image,
        {
            "kind": "image-classifier",
            "model_name": "simple-cnn",
            "model_config": {},
            "model_state": {},
        },
    )
    _one_line_exit_2(
        run("detect-events", "--sim", "monza", "--model", str(image)), "image-classifier"
    )
    speed = tmp_path / "speed.pt"
    save_checkpoint(
        speed,
        {
            "kind": "event-detector",
            "model_name": "event-cnn",
            "model_config": {"in_channels": 1, "width": 8, "dilations": [1]},
            "model_state": EventCNN(1, width=8, dilations=(1,)).state_dict(),
            "extra": {
                "event_types": list(EVENT_TYPES),
                "channels": ["Speed"],
                "grid_hz": 10.0,
                "normalisation": {"channels": ["Speed"], "mean": [0.0], "std": [1.0]},
            },
        },
    )
    _one_line_exit_2(
        run("detect-events", "--sim", "monza", "--model", str(speed), "--channels", "Speed,Brake"),
        "trained on Speed",
        "Brake",
    )
    # a detector of the first taxonomy (no clipping: seven outputs) is refused, not misread
    old = tmp_path / "old.pt"
    state = load_checkpoint(speed, kind="event-detector")
    old_types = [t for t in EVENT_TYPES if t != "clipping"]
    state["model_config"]["num_events"] = len(old_types)
    state["model_state"] = EventCNN(1, len(old_types), width=8, dilations=(1,)).state_dict()
    del state["extra"]["event_types"]
    save_checkpoint(old, state)
    _one_line_exit_2(
        run("detect-events", "--sim", "monza", "--model", str(old)),
        "older event taxonomy (no clipping)",
        "retrain",
    )
    _one_line_exit_2(
        run("detect-events", "--sim", "monza", "--out", str(tmp_path / "e.txt")), ".csv"
    )
    _one_line_exit_2(run("detect-events"), "--sim")
    _one_line_exit_2(run("detect-events", "--sim", "monza", "--channels", ""), "names no channel")
    _one_line_exit_2(run("detect-events", "--sim", "monza", "--channels", " , "), "no channel")
    text = tmp_path / "text.csv"
    lap.data.assign(Speed="fast").to_csv(text, index=False)
    _one_line_exit_2(run("detect-events", "--file", str(text)), "column Speed holds no numbers")


def _trained_epochs(run_dir: Path) -> tuple[int, int]:
    """Epochs of the run's history file and checkpoint."""
    import torch

    history = json.loads((run_dir / "history.json").read_text())
    assert [h["epoch"] for h in history] == list(range(1, len(history) + 1))
    return len(history), torch.load(run_dir / "checkpoint.pt", weights_only=True)["epoch"]


def test_train_events_run_folder(tmp_path: Path, tiny_training: tuple[str, ...]) -> None:
    out = tmp_path / "run"
    first = run(*tiny_training, "--epochs", "1", "--out", str(out))
    assert first.exit_code == 0, first.output
    assert "trained 1 epoch;" in first.output and _trained_epochs(out) == (1, 1)
    # a used folder is refused for a new run; resuming a complete run says so
    _one_line_exit_2(
        run(*tiny_training, "--epochs", "1", "--out", str(out)),
        "already holds a run",
        f"--resume {out}",
        "--force",
    )
    _one_line_exit_2(
        run(*tiny_training, "--epochs", "1", "--resume", str(out)),
        "is already complete (1 epoch)",
        "give --epochs above 1",
    )
    # a larger --epochs extends it, and the extended run's checkpoint detects events
    extended = run(*tiny_training, "--epochs", "2", "--resume", str(out))
    assert extended.exit_code == 0, extended.output
    assert "trained 2 epochs;" in extended.output and _trained_epochs(out) == (2, 2)
    detected = run("detect-events", "--sim", "monza", "--model", str(out))
    assert detected.exit_code == 0, detected.output
    # the old form (--resume as a flag continuing --out) still works
    bare = run(*tiny_training, "--epochs", "3", "--out", str(out), "--resume")
    assert bare.exit_code == 0, bare.output
    assert _trained_epochs(out) == (3, 3)
    # --force starts over in the same folder
    forced = run(*tiny_training, "--epochs", "1", "--out", str(out), "--force")
    assert forced.exit_code == 0, forced.output
    assert _trained_epochs(out) == (1, 1)


def test_train_events_bad_resume(tmp_path: Path, tiny_training: tuple[str, ...]) -> None:
    nowhere = tmp_path / "nowhere"
    _one_line_exit_2(run(*tiny_training, "--resume", str(nowhere)), "nothing to resume")
    assert not nowhere.exists()
    image = tmp_path / "image"
    save_checkpoint(
        image / "checkpoint.pt",
        {"kind": "image-classifier", "model_name": "simple-cnn", "model_config": {}, "epoch": 1},
    )
    _one_line_exit_2(run(*tiny_training, "--resume", str(image)), "image-classifier")
    _one_line_exit_2(
        run(*tiny_training, "--resume", str(image), "--out", str(nowhere)), "drop --out"
    )
    _one_line_exit_2(run(*tiny_training, "--resume", str(image), "--force"), "--force")


@pytest.mark.parametrize("command", ["detect-events", "train-events", "eval-events"])
def test_help(command: str) -> None:
    assert run(command, "--help").exit_code == 0


def test_detect_events_prints_each_laps_seconds_of_clipping_and_lifting(tmp_path: Path) -> None:
    out = tmp_path / "events.csv"
    args = ["detect-events", "--sim", "monza", "--sim-laps", "2", "--seed", "5"]
    result = run(*args, "--out", str(out))
    assert result.exit_code == 0, result.output
    events = pd.read_csv(out)
    for lap_number in (1, 2):
        rows = events[events.lap == lap_number]
        seconds = {
            name: (rows.end_time - rows.start_time)[rows.event == name].sum()
            for name in ("clipping", "lift_coast")
        }
        line = (
            f"energy: clipping {seconds['clipping']:.1f} s, "
            f"lift_coast {seconds['lift_coast']:.1f} s"
        )
        assert line in result.output, result.output
    assert seconds["clipping"] > 1.0  # a 2026 car at Monza runs out of energy on the straights
    clipping = events[events.event == "clipping"]
    assert (clipping.speed_lost == clipping.entry_speed - clipping.exit_speed).all()
    assert "drs" not in set(events.event)  # 2026 cars: no DRS
    speed_only = run(*args, "--channels", "Speed")
    assert speed_only.exit_code == 0 and "energy:" not in speed_only.output


def test_compare_laps_on_clipping_of_2026_laps(tmp_path: Path, f1_data: Path) -> None:
    test_day = f1_data / "bahrain-2026-test" / "day1.parquet"
    out = tmp_path / "straights.csv"
    args = ["compare-laps", "--file", str(test_day), "--driver", "NOR,LEC", "--lap", "26"]
    result = run(*args, "--event", "clipping", "--detector", "rules", "--out", str(out))
    assert result.exit_code == 0, result.output
    zones = pd.read_csv(out)
    nor = zones[zones.label == "NOR lap 26"]
    assert len(nor) == 5 and nor.speed_lost.notna().all()  # five straights clip (by hand)
    assert " lost" in result.output and "min_gain" not in result.output


def test_unconfirmed_types_are_marked_and_low_confidence_dropped(tmp_path: Path, race_file) -> None:
    """On real laps nothing confirms wheelspin or lock-ups: the table marks them; the rules and
    the CNN give the same columns; --min-confidence drops the doubtful events."""
    args = ["detect-events", "--file", str(race_file), "--driver", "VER", "--lap", "all"]
    out, kept = tmp_path / "all.csv", tmp_path / "kept.csv"
    result = run(*args, "--out", str(out))
    assert result.exit_code == 0, result.output
    events = pd.read_csv(out)
    hidden = events.event.isin(["wheelspin", "lockup"])
    assert hidden.any()
    assert "* no channel confirms wheelspin or lock-ups" in result.output
    assert re.search(r"(lockup|wheelspin) \d+\*", result.output)
    strict = run(*args, "--min-confidence", "0.6", "--out", str(kept))
    assert strict.exit_code == 0, strict.output
    confident = pd.read_csv(kept)
    assert confident.confidence.min() >= 0.6 and len(confident) < len(events)
    rules = tmp_path / "rules.csv"
    assert run(*args, "--detector", "rules", "--out", str(rules)).exit_code == 0
    assert list(pd.read_csv(rules).columns) == list(events.columns)
    shifts = events[events.event.isin(["upshift", "downshift"])]
    up = shifts.event == "upshift"
    assert (shifts.to_gear[up] >= shifts.from_gear[up]).all()
    assert "* no channel" not in run("detect-events", "--sim", "monza", "--seed", "3").output


def test_train_events_on_a_users_own_laps_writes_and_prints_its_model_card(
    tmp_path: Path, tiny_training: tuple[str, ...], f1_data: Path
) -> None:
    """A user's laps (--file) train beside simulated ones; the run's model card lands beside
    the checkpoint and eval-events prints it before the scores."""
    source = tmp_path / "own.parquet"
    quali = pd.read_parquet(f1_data / "australia-2025" / "qualifying.parquet")
    quali[quali.Driver.isin(["NOR", "LEC"])].to_parquet(source)
    out = tmp_path / "run"
    trained = run(*tiny_training, "--epochs", "1", "--file", str(source), "--out", str(out))
    assert trained.exit_code == 0, trained.output
    card = json.loads((out / "model_card.json").read_text())
    assert card["real_laps"] > 10 and card["real_held_out"] >= 1
    assert card["real_sources"] == {"own.parquet": card["real_laps"]}
    assert f"and {card['real_laps']} real laps (own.parquet:" in trained.output
    assert "F1 on its real validation laps" in trained.output
    scored = run("eval-events", "--file", str(source), "--lap", "3", "--model", str(out))
    assert scored.exit_code == 0, scored.output
    assert scored.output.index("real laps (own.parquet") < scored.output.index(" recall ")
