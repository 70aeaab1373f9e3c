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
    with pytest.raises(TelecnnError, match="not on NOR"):
        with_corners([hungary_laps["NOR"]], read_corners(corners_file))
