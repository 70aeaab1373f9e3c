"""Cleaning checks what telemetry can be (real laps written out in broken forms): times in
another unit are read in it with a note or refused, values no car shows become gaps (counted),
a channel mostly text or implausible is dropped instead of filled flat, infinities are gaps,
and the notes are summed up per file."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from telecnn.errors import TelecnnError
from telecnn.telemetry.events.rules import rule_events
from telecnn.telemetry.laps.notes import notes_summary
from telecnn.telemetry.sources import read_laps

from ..conftest import car_frame

CHANNELS = ["RPM", "Speed", "nGear", "Throttle", "Brake", "DRS"]


@pytest.fixture(scope="module")
def car(hungary_dir: Path) -> pd.DataFrame:
    """LEC's qualifying lap as fastf1's car data, ``Time`` in seconds."""
    frame = car_frame(hungary_dir, "LEC")
    frame["Time"] = pd.to_timedelta(frame["Time"]).dt.total_seconds()
    return frame[["Time", *CHANNELS]]


def _lap(frame: pd.DataFrame, folder: Path, name: str = "lap.csv"):
    frame.to_csv(folder / name, index=False)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no RuntimeWarning, whatever the data
        return read_laps(folder / name)[0]


@pytest.mark.parametrize(("unit", "factor"), [("milliseconds", 1e3), ("microseconds", 1e6)])
def test_times_in_another_unit_are_read_in_it_with_a_note(car, tmp_path, unit, factor):
    seconds = _lap(car, tmp_path, "s.csv")
    scaled = car.assign(Time=(car["Time"] * factor).round())
    lap = _lap(scaled, tmp_path)
    assert [n for n in lap.meta.notes if n.startswith(f"Time read as {unit} (median step")]
    assert np.allclose(lap.times, seconds.times, atol=1e-3)
    rate = (len(lap) - 1) / (lap.times[-1] - lap.times[0])
    assert 3.5 < rate < 4.0
    assert rule_events(lap)["event"].tolist() == rule_events(seconds)["event"].tolist()


def test_times_no_unit_makes_sense_of_are_refused(car, tmp_path) -> None:
    with pytest.raises(TelecnnError, match="gives no telemetry rate"):
        _lap(car.assign(Time=car["Time"] * 1e-4), tmp_path)  # 37 kHz in seconds
    sparse = car.iloc[::20].assign(Time=car["Time"].iloc[::20] * 1.0)  # a sample every 5 s
    with pytest.raises(TelecnnError, match="gives no telemetry rate"):
        _lap(sparse, tmp_path)


def test_a_speed_channel_of_text_is_dropped_not_filled_flat(car, tmp_path) -> None:
    broken = car.astype({"Speed": object})
    broken.loc[1 : len(car) - 2, "Speed"] = "n/a?"
    lap = _lap(broken, tmp_path)
    assert "Speed" not in lap.channels
    assert f"Speed: {len(car) - 2} of {len(car)} values not numbers: dropped, not filled" in (
        lap.meta.notes
    )
    assert not (rule_events(lap)["event"] == "clipping").any()


def test_a_few_unreadable_cells_are_gaps_counted_in_one_note(car, tmp_path) -> None:
    broken = car.astype({"Speed": object, "RPM": object})
    broken.loc[[10, 50, 90], "Speed"] = "?"
    broken.loc[[20], "RPM"] = "--"
    lap = _lap(broken, tmp_path)
    assert "values made gaps, then filled: Speed 3 (not numbers), RPM 1 (not numbers)" in (
        lap.meta.notes
    )
    assert np.isfinite(lap.columns["Speed"]).all()


def test_infinities_are_gaps_and_no_gear_becomes_minus_nine_quintillion(car, tmp_path) -> None:
    broken = car.astype(float)
    broken.loc[10:20, CHANNELS] = np.inf
    lap = _lap(broken, tmp_path)
    assert any(n.startswith("values made gaps, then filled: Speed 11") for n in lap.meta.notes)
    assert all(np.isfinite(lap.columns[c].astype(float)).all() for c in CHANNELS)
    shifts = rule_events(lap).dropna(subset=["from_gear"])
    assert shifts["from_gear"].between(0, 9).all() and shifts["to_gear"].between(0, 9).all()
    every = car.astype(float).assign(**{c: np.inf for c in CHANNELS})
    with pytest.raises(TelecnnError, match="no usable channels"):
        _lap(every, tmp_path)


def test_values_out_of_range_become_gaps_counted_per_channel(car, tmp_path) -> None:
    broken = car.astype(float)
    broken.loc[5:9, "Speed"] = -50.0
    broken.loc[30:32, "Speed"] = 1e308
    broken.loc[40, "RPM"] = 99_999
    broken.loc[50, "nGear"] = 42
    broken.loc[60, "Throttle"] = 500
    broken.loc[70, "DRS"] = 99
    lap = _lap(broken, tmp_path)
    assert (
        "values made gaps, then filled: Speed 8 (outside 0-400 km/h), RPM 1 (outside 0-20000), "
        "nGear 1 (outside 0-9), Throttle 1 (outside 0-110%), DRS 1 (outside 0-14)"
    ) in lap.meta.notes
    assert lap.columns["Speed"].max() <= 400 and lap.columns["Speed"].min() >= 0


def test_real_laps_keep_their_values_and_get_no_new_notes(race_file: Path, car) -> None:
    laps = read_laps(race_file)  # Speed 0 on the grid, Throttle up to 104: all plausible
    assert not [n for lap in laps for n in lap.meta.notes]


def test_a_real_lap_of_gear_garbage_loses_its_gear_channel(f1_data: Path) -> None:
    """PIA's lap 44 of the 2025 Australian GP counts nGear up to 128 (the feed's garbage)."""
    race = f1_data / "australia-2025" / "race.parquet"
    (lap,) = read_laps(race, drivers="PIA", laps=[44])
    assert "nGear" not in lap.channels
    assert any(n.startswith("nGear: ") and "outside 0-9: dropped" in n for n in lap.meta.notes)


def test_a_file_of_many_laps_with_one_problem_gives_one_line(race_file: Path, tmp_path):
    frame = pd.read_parquet(race_file)
    frame["Time"] = (frame["Time"].dt.total_seconds() * 1000).round()
    frame.loc[frame.index[::50], "Speed"] = -5.0
    frame.to_parquet(tmp_path / "race-ms.parquet")
    laps = read_laps(tmp_path / "race-ms.parquet")
    lines = notes_summary(laps)
    assert len(laps) == 224 and len(lines) <= 4, lines
    assert lines[0].startswith("race-ms.parquet: Time read as milliseconds (median step")
    assert lines[0].endswith("224 of 224 laps alike)")
    assert any("values made gaps, then filled: Speed" in line for line in lines)


def test_notes_of_one_kind_on_one_lap_are_one_line_with_their_count(car, tmp_path) -> None:
    gappy = car.astype(float)
    for start in (20, 80, 140):
        gappy.loc[start : start + 8, "Speed"] = np.nan  # three gaps over 1 s
    lap = _lap(gappy, tmp_path)
    lines = notes_summary([lap])
    assert len(lines) == 1 and lines[0].endswith("filled (and 2 more alike)"), lines
