"""A short training run on simulated laps beats an untrained model; checkpoints resume."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
import torch

from telecnn.errors import CheckpointError, RunCompleteError, RunFolderError
from telecnn.telemetry.detector import Detector, load_detector
from telecnn.telemetry.detector.config import DetectorTrainConfig
from telecnn.telemetry.detector.model import build_model
from telecnn.telemetry.detector.scoring import evaluate_laps, f1_by_type
from telecnn.telemetry.detector.train import train_detector
from telecnn.telemetry.simulate import simulate_laps
from telecnn.telemetry.sources import read_laps
from telecnn.training import load_checkpoint, plan_run

CONFIG = DetectorTrainConfig(
    sim_laps=96,
    epochs=4,
    batch_size=8,
    crop=192,
    width=16,
    lr=1e-2,
    dilations=(1, 2, 4, 8),
    val_laps=6,
    seed=3,
    circuits=("monza", "monaco"),
    channel_dropout=False,
)


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> tuple[Detector, list, Path]:
    run_dir = tmp_path_factory.mktemp("run")
    detector, history = train_detector(CONFIG, run_dir, show_progress=False)
    return detector, history, run_dir


def test_training_beats_an_untrained_model_on_held_out_laps(trained) -> None:
    detector, history, _ = trained
    held_out = simulate_laps("monza", 8, seed=777, era="2025") + simulate_laps(
        "monaco", 8, seed=778, feed="merged"
    )
    torch.manual_seed(0)
    fresh = build_model(CONFIG.build_model_config(detector.norm)).eval()
    untrained = Detector(fresh, detector.norm, detector.hz, detector.thresholds)
    # the events' edges the model's own: with the channels' (Brake, DRS read), an untrained
    # model firing everywhere would find every zone
    untrained.channel_edges = False
    after = f1_by_type(evaluate_laps(held_out, replace(detector, channel_edges=False)))
    before = f1_by_type(evaluate_laps(held_out, untrained))
    key = ("braking", "drs", "upshift")
    gain = np.mean([np.nan_to_num(after[k]) - np.nan_to_num(before[k]) for k in key])
    assert after["braking"] >= 0.8, after
    assert gain >= 0.4, (before, after)
    assert len(history) == CONFIG.epochs
    assert history[-1]["train_loss"] < history[0]["train_loss"]


def test_checkpoint_holds_what_detection_needs_and_resumes(trained) -> None:
    detector, _, run_dir = trained
    state = load_checkpoint(run_dir, kind="event-detector")
    assert state["epoch"] == CONFIG.epochs
    assert state["extra"]["channels"] == list(CONFIG.channels)
    assert state["extra"]["grid_hz"] == CONFIG.hz and "thresholds" in state["extra"]
    loaded = load_detector(run_dir)
    assert loaded.norm == detector.norm
    # Speed-only braking thresholds, chosen on the held-out simulated laps, travel along
    speed_only = state["extra"]["channel_thresholds"]["Speed"]["braking"]
    assert loaded.channel_thresholds == detector.channel_thresholds
    assert loaded.thresholds_for(["Speed"])["braking"] == speed_only
    assert loaded.thresholds_for(list(CONFIG.channels)) == loaded.thresholds
    # the shared run-folder rule on a detector's run: taken, complete, extensible
    with pytest.raises(RunFolderError, match="already holds a run"):
        plan_run(run_dir, resume=False)
    with pytest.raises(RunCompleteError, match="already complete"):
        plan_run(run_dir, resume=True, kind="event-detector", epochs=CONFIG.epochs)
    plan = plan_run(run_dir, resume=True, kind="event-detector", epochs=CONFIG.epochs + 1)
    assert plan.done_epochs == CONFIG.epochs
    more = DetectorTrainConfig(**{**CONFIG.__dict__, "epochs": CONFIG.epochs + 1})
    _, history = train_detector(more, run_dir, resume_run=True, show_progress=False)
    assert [int(h["epoch"]) for h in history] == list(range(1, CONFIG.epochs + 2))
    other = DetectorTrainConfig(**{**CONFIG.__dict__, "width": 8, "epochs": CONFIG.epochs + 2})
    with pytest.raises(CheckpointError, match="trained as"):
        train_detector(other, run_dir, resume_run=True, show_progress=False)


def test_real_laps_train_with_every_tenth_held_out_and_a_model_card(
    f1_data: Path, tmp_path: Path
) -> None:
    """Real fastf1 laps train beside simulated ones: every tenth is held out, tuned and scored
    on; the model card says what the run learnt from and its scores on both held-out sets."""
    real = read_laps(f1_data / "australia-2025" / "qualifying.parquet", drivers=["NOR", "VER"])
    assert len(real) >= 20
    config = DetectorTrainConfig(**{**CONFIG.__dict__, "sim_laps": 24, "epochs": 1})
    detector, _ = train_detector(config, tmp_path, real, show_progress=False)
    card = detector.card
    held = len(real) // 10
    assert card["real_held_out"] == held and card["real_laps"] == len(real) - held
    assert sum(card["real_sources"].values()) == card["real_laps"]
    assert card["simulated_laps"] == 24 and card["epochs"] == 1
    feeds = {"real: Speed", "real: Speed,Throttle", "real: Speed,RPM,nGear"}
    assert set(card["validation"]) == {"simulated", "real"} | feeds
    assert set(card["validation"]["real: Speed"]) == {"braking"}  # what Speed alone shows
    assert "braking" in card["validation"]["real"]  # the rules label real laps' braking
    assert "wheelspin" not in card["validation"]["real"]  # only the simulator labels it
    loaded = load_detector(tmp_path)
    assert loaded.card == card  # in the checkpoint
    text = loaded.card_text()
    assert f"{card['real_laps']} real laps" in text and f"real validation laps ({held})" in text
    assert "thresholds were tuned on these laps" in text  # says its figures are optimistic
    assert "through Speed,Throttle alone: braking" in text
