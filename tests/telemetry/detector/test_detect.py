"""Detection API: fastf1 objects in, the event schema out; batching; bad input."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from fastf1.core import Telemetry

from telecnn.errors import CheckpointError, TelecnnError
from telecnn.telemetry.detector import detect, detect_laps, load_detector
from telecnn.telemetry.detector.features import Normalisation, lap_inputs
from telecnn.telemetry.detector.model import EventCNN
from telecnn.telemetry.laps.grid import pad_to
from telecnn.telemetry.laps.schema import EVENT_COLUMNS, EVENT_TYPES, Lap
from telecnn.training import save_checkpoint


def _telemetry(path: Path) -> Telemetry:
    raw = json.loads(path.read_text())["telemetry"]
    frame = pd.DataFrame(raw)
    for col in ("Time", "SessionTime"):
        frame[col] = pd.to_timedelta(frame[col])
    frame["Date"] = pd.to_datetime(frame["Date"])
    return Telemetry(frame)


def test_detect_takes_a_real_fastf1_telemetry(f1_data: Path) -> None:
    events = detect(_telemetry(f1_data / "hungary-2024-q" / "NOR.json"))
    assert list(events.columns[: len(EVENT_COLUMNS)]) == list(EVENT_COLUMNS)
    assert set(events["event"]) <= set(EVENT_TYPES)
    braking = events[events.event == "braking"]
    assert 8 <= len(braking) <= 16  # Hungaroring: 11-12 braking zones a lap
    assert (events.end_time >= events.start_time).all()
    assert events.confidence.between(0, 1).all()
    assert (braking.entry_speed > braking.min_speed).all()


def test_batched_detection_matches_one_lap_at_a_time(quali_laps: list[Lap]) -> None:
    laps = quali_laps[:4]
    batched = detect_laps(laps, batch_size=3)
    for lap, events in zip(laps, batched, strict=True):
        pd.testing.assert_frame_equal(events, detect(lap))


def test_channel_subsets_and_their_errors(quali_laps: list[Lap]) -> None:
    lap = quali_laps[0]
    speed_only = detect(lap, channels=["Speed"])
    assert (speed_only.event == "braking").sum() >= 6
    assert set(speed_only.event) == {"braking"}  # Speed cannot show DRS, shifts or lifts
    with_rpm = detect(lap, channels=["Speed", "RPM"])
    assert {"braking", "upshift", "downshift"} <= set(with_rpm.event)
    assert "drs" not in set(with_rpm.event)
    no_brake = Lap(lap.data.drop(columns=["Brake"]), lap.meta)
    with pytest.raises(TelecnnError, match="no Brake channel"):
        detect(no_brake, channels=["Speed", "Brake"])
    with pytest.raises(TelecnnError, match="unknown channel"):
        detect(lap, channels=["Sped"])


def _untrained(path: Path, channels: tuple[str, ...], kind: str = "event-detector") -> Path:
    model = EventCNN(len(channels), width=8, dilations=(1, 2))
    norm = Normalisation(channels, tuple(0.0 for _ in channels), tuple(1.0 for _ in channels))
    save_checkpoint(
        path,
        {
            "kind": kind,
            "model_name": "event-cnn",
            "model_config": {"in_channels": len(channels), "width": 8, "dilations": [1, 2]},
            "model_state": model.state_dict(),
            "extra": {
                "event_types": list(EVENT_TYPES),
                "channels": list(channels),
                "normalisation": norm.to_dict(),
                "grid_hz": 10.0,
            },
        },
    )
    return path


def test_model_trained_on_other_channels(tmp_path: Path, quali_laps: list[Lap]) -> None:
    path = _untrained(tmp_path / "speed.pt", ("Speed",))
    lap = quali_laps[0]
    assert len(detect(lap, path).columns) >= len(EVENT_COLUMNS)  # reads Speed: fine
    with pytest.raises(TelecnnError, match="trained on Speed and cannot read Brake"):
        detect(lap, path, channels=["Brake"])
    throttle_only = Lap(lap.data[["Time", "Throttle"]], lap.meta)
    with pytest.raises(TelecnnError, match="none of the channels the model was trained on"):
        detect(throttle_only, path)


def test_image_checkpoint_and_garbage_are_refused(tmp_path: Path) -> None:
    image = _untrained(tmp_path / "image.pt", ("Speed",), kind="image-classifier")
    with pytest.raises(CheckpointError, match="image-classifier"):
        load_detector(image)
    junk = tmp_path / "junk.pt"
    junk.write_bytes(b"not a checkpoint")
    with pytest.raises(CheckpointError):
        load_detector(junk)


def test_lap_too_short(quali_laps: list[Lap]) -> None:
    lap = quali_laps[0]
    short = Lap(
        lap.data[lap.data.Time < lap.data.Time.iloc[0] + 3.0].reset_index(drop=True), lap.meta
    )
    with pytest.raises(TelecnnError, match="too short"):
        detect(short)
    assert np.isfinite(lap.data.Time).all()


def test_padding_holds_the_lap_s_last_sample_so_no_channel_reads_as_missing(
    quali_laps: list[Lap],
) -> None:
    det = load_detector()
    x, _ = lap_inputs(quali_laps[0], det.norm, det.hz)
    padded = pad_to(x, x.shape[1] + 40)
    assert np.array_equal(padded[:, : x.shape[1]], x)
    assert (padded[:, x.shape[1] :] == x[:, -1:]).all()
    masks = padded[len(det.norm.channels) :]
    assert (masks == 1).all()  # every channel of this lap is present, padding included


def test_garage_standstills_are_skipped_before_the_model(bahrain_laps: list[Lap]) -> None:
    """A test-day lap with minutes in the garage: the model runs on its moving stretches only
    (the grid it sees is a fraction of the lap's), the garage reads probability 0, and no event
    falls in it."""
    from telecnn.telemetry.detector.detector import SKIP_STANDING_S, moving_pieces
    from telecnn.telemetry.detector.running import choose_detector
    from telecnn.telemetry.events.table import runs_mask

    lap = max(bahrain_laps, key=lambda x: (x.columns["Speed"] < 1).sum())
    t = lap.times
    pieces = moving_pieces(lap)
    kept = runs_mask(
        np.array([a for a, _ in pieces]), np.array([b - 1 for _, b in pieces]), len(lap)
    )
    assert t[-1] - t[0] > 600 and kept.mean() < 0.2  # most of the lap is the garage
    assert (lap.columns["Speed"][~kept] < 5).all()  # nothing skipped moves
    detector = choose_detector("cnn")
    probs = detector.probabilities([lap])[0]
    assert (probs.at_samples[:, ~kept] == 0).all()
    assert len(probs.grid_times) < 0.25 * (t[-1] - t[0]) * detector.hz
    events = detector.detect_laps([lap])[0]
    skipped = t[~kept]
    assert not any(
        ((skipped >= e.start_time) & (skipped <= e.end_time)).any() for e in events.itertuples()
    )
    assert (events.event == "braking").sum() >= 8  # the lap around it is detected
    short = [x for x in bahrain_laps if 1 < (x.columns["Speed"] < 1).sum() * 0.13 < SKIP_STANDING_S]
    assert all(moving_pieces(x) == [(0, len(x))] for x in short[:20])  # a pit stop runs whole
