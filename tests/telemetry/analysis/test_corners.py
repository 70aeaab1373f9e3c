"""Corner numbers on real laps: reading corners files, placing corners on a lap, the corner each
zone leads into, compare-laps by corner, and the one-line refusals."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from telecnn.cli import main
from telecnn.errors import TelecnnError
from telecnn.telemetry.analysis.corners import corner_distances, label_corners, with_corners
from telecnn.telemetry.events.rules import rule_events
from telecnn.telemetry.laps.schema import Lap
from telecnn.telemetry.sources import read_laps
from telecnn.telemetry.sources.corners import read_corners


def run(*args: str):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


@pytest.fixture(scope="module")
def corners_file(f1_data: Path) -> Path:
    return f1_data / "bahrain-2026-test" / "corners.json"


@pytest.fixture(scope="module")
def test_day(f1_data: Path) -> Path:
    return f1_data / "bahrain-2026-test" / "day1.parquet"


@pytest.fixture(scope="module")
def push_laps(test_day: Path, corners_file: Path) -> list[Lap]:
    """LEC's and NOR's fastest laps of the 2026 test day, with the circuit's corners."""
    laps = read_laps(test_day, ["LEC", "NOR"], "fastest")
    return with_corners(laps, read_corners(corners_file))


def test_the_circuit_file_reads_as_fifteen_numbered_corners(corners_file: Path) -> None:
    corners = read_corners(corners_file)
    assert list(corners["corner"]) == [f"T{k}" for k in range(1, 16)]
    assert np.isfinite(corners[["X", "Y", "Distance"]].to_numpy()).all()


def test_corners_land_where_fastf1_measured_them(push_laps: list[Lap]) -> None:
    """Placed from X/Y on each driver's own path, every corner is within 30 m of the distance
    fastf1 gives it on its reference lap (an independent measurement)."""
    for lap in push_laps:
        placed = corner_distances(lap, lap.corners)
        assert np.abs(placed - lap.corners["Distance"].to_numpy()).max() < 30.0


def test_each_braking_zone_gets_the_corner_ahead_of_it(push_laps: list[Lap]) -> None:
    by_driver = {}
    for lap in push_laps:
        events = label_corners(rule_events(lap), lap)
        at = dict(zip(lap.corners["corner"], corner_distances(lap, lap.corners), strict=True))
        brakes = events[events.event == "braking"]
        assert brakes["corner"].notna().all()
        ahead = brakes["corner"].map(at) - brakes["start_distance"]
        assert ((ahead >= 0) & (ahead < 400)).all()  # the apex follows the braking point
        assert events.loc[events.event.isin(["upshift", "downshift"]), "corner"].isna().all()
        by_driver[lap.meta.driver] = brakes.set_index("corner")["start_distance"]
    # two drivers brake into the same corners, at nearly the same place
    common = by_driver["LEC"].index.intersection(by_driver["NOR"].index)
    assert len(common) >= 7
    assert (by_driver["LEC"][common] - by_driver["NOR"][common]).abs().max() < 60.0


def test_compare_laps_labels_zones_by_corner(push_laps, test_day, corners_file, tmp_path):
    out = tmp_path / "zones.csv"
    args = ["compare-laps", "--file", str(test_day), "--driver", "LEC,NOR", "--detector", "rules"]
    result = run(*args, "--corners", str(corners_file), "--out", str(out))
    assert result.exit_code == 0, result.output
    zones = pd.read_csv(out)
    assert {"corner", "driver", "lap", "label"} <= set(zones.columns)
    assert set(zones.driver) == {"LEC", "NOR"} and pd.api.types.is_integer_dtype(zones.lap)
    assert zones["corner"].str.fullmatch(r"T\d+").all()
    # rows grouped corner by corner, both drivers in each group
    assert zones.groupby("zone")["driver"].nunique().eq(2).all()
    assert list(zones["zone"]) == sorted(zones["zone"])
    assert "T1 " in result.output and "start_m" in result.output and "entry_kmh" in result.output


def test_a_csv_with_letters_and_numbers(tmp_path: Path, corners_file: Path) -> None:
    data = json.loads(corners_file.read_text())
    frame = pd.DataFrame({"Number": data["CornerNumber"], "X": data["X"], "Y": data["Y"]})
    frame["Letter"] = ["A" if k == 9 else "" for k in range(len(frame))]
    path = tmp_path / "corners.csv"
    frame.to_csv(path, index=False)
    assert read_corners(path)["corner"].iloc[9] == "T10A"


def test_without_corners_events_have_no_corner_column(push_laps: list[Lap]) -> None:
    from telecnn.telemetry.detector.running import detect_laps

    bare = Lap(push_laps[0].data, push_laps[0].meta)
    assert "corner" not in detect_laps([bare], "rules")[0].columns


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ({"CornerNumber": [1, 2], "Angle": [10, 20]}, "no corner positions"),
        ({"X": [1, 2], "Y": [3, 4]}, "no corner numbers"),
        ("not json", "cannot read corners file"),
    ],
)
def test_bad_corners_files_are_one_line(tmp_path, test_day, content, message) -> None:
    path = tmp_path / "corners.json"
    path.write_text(content if isinstance(content, str) else json.dumps(content))
    result = run("detect-events", "--file", str(test_day), "--driver", "LEC", "--lap", "46",
                 "--detector", "rules", "--corners", str(path))  # fmt: skip
    assert result.exit_code != 0
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and message in lines[0], result.output


def test_corners_of_another_circuit_are_refused(hungary_laps, corners_file) -> None:
    with pytest.raises(TelecnnError, match="corners of the corners file are not on NOR"):
        with_corners([hungary_laps["NOR"]], read_corners(corners_file), "the corners file")


def _slowest_point(lap: Lap, start: float, end: float) -> float:
    """Raw channels: the distance where the car is slowest from a zone's start until it
    speeds up again after the zone."""
    d, v = lap.distance, lap.columns["Speed"].astype(float)
    lo = np.searchsorted(d, start)
    hi = np.searchsorted(d, end)
    while hi + 1 < len(v) and v[hi + 1] <= v[hi]:  # still slowing after the pedal
        hi += 1
    return float(d[lo + int(np.argmin(v[lo : hi + 1]))])


@pytest.mark.parametrize(
    ("folder", "telemetry", "drivers"),
    [
        ("bahrain-2026-test", "day1.parquet", ["LEC", "NOR", "RUS"]),
        ("china-2025-r", "race.parquet", ["VER", "PIA", "NOR"]),
    ],  # fmt: skip
)
def test_a_zone_is_labelled_by_the_corner_it_slows_for(f1_data, folder, telemetry, drivers) -> None:
    """On two circuits, every braking zone that costs over 30 km/h is labelled with the corner
    nearest the point the raw speed trace is slowest after it (Bahrain's T10 zone, which
    starts before the T9 kink, is T10); neighbouring corners never swap."""
    laps = read_laps(f1_data / folder / telemetry, drivers, "fastest")
    laps = with_corners(laps, read_corners(f1_data / folder / "corners.json"))
    checked = right = 0
    for lap in laps:
        at = corner_distances(lap, lap.corners)
        names = lap.corners["corner"].to_numpy()
        events = label_corners(rule_events(lap), lap)
        for row in events[(events.event == "braking")].itertuples():
            if row.entry_speed - row.min_speed < 30:
                continue
            slowest = _slowest_point(lap, row.start_distance, row.end_distance)
            nearest = names[int(np.nanargmin(np.abs(at - slowest)))]
            checked += 1
            right += row.corner == nearest
    assert checked >= 6 * len(laps) and right == checked
    if folder == "bahrain-2026-test":
        t10 = [e for e in label_corners(rule_events(laps[0]), laps[0]).itertuples()
               if e.event == "braking" and e.corner == "T10"]  # fmt: skip
        assert len(t10) == 1 and t10[0].min_speed < 100  # the slow T10, not the T9 kink


def test_a_lap_that_does_not_cover_the_circuit_gets_the_corners_it_passes(
    test_day: Path, corners_file: Path, tmp_path: Path
) -> None:
    """A test-day out-lap that starts at the pit exit, and a lap cut short: their corners are
    the ones they pass, never an abort; detect-events with the corners completes."""
    laps = read_laps(test_day, ["LEC"], "all")
    whole = next(lap for lap in laps if lap.meta.whole)
    cut = Lap(whole.data[whole.data.Distance < whole.distance[-1] / 2], whole.meta)
    with_corners([whole, cut], read_corners(corners_file))
    placed = corner_distances(cut, cut.corners)
    assert np.isfinite(placed).sum() < len(placed) and np.isfinite(placed[:3]).all()
    events = label_corners(rule_events(cut), cut)
    assert events.loc[events.event == "braking", "corner"].notna().all()
    out = tmp_path / "events.csv"
    result = run("detect-events", "--file", str(test_day), "--detector", "rules",
                 "--corners", str(corners_file), "--out", str(out))  # fmt: skip
    assert result.exit_code == 0, result.output
    assert pd.read_csv(out).corner.notna().sum() > 2000
    other = run("detect-events", "--file", str(test_day), "--detector", "rules",
                "--corners", str(f1_data_corners(test_day, "china-2025-r")))  # fmt: skip
    assert other.exit_code == 2 and "china-2025-r/corners.json are not on" in other.output


def f1_data_corners(test_day: Path, folder: str) -> Path:
    return test_day.parent.parent / folder / "corners.json"
