"""Every source an analyst has: the real laps of ../shared/data written out as OpenF1 exports
and as a per-lap JSON folder tree read back the same as from the Parquet files."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from telecnn.cli import main
from telecnn.errors import TelecnnError
from telecnn.telemetry.detector import load_detector
from telecnn.telemetry.events.rules import rule_events
from telecnn.telemetry.laps.schema import Lap
from telecnn.telemetry.sources import load_laps, read_laps

CHANNELS = ("Speed", "RPM", "nGear", "Throttle", "Brake", "DRS", "X", "Y", "Z")
NUMBERS = {"NOR": 4, "PIA": 81, "VER": 1, "LEC": 16, "HAM": 44, "RUS": 63, "ALB": 23, "HUL": 27}
START = pd.Timestamp("2025-03-23T07:03:00Z")


@pytest.fixture(scope="module")
def race(race_file: Path) -> list[Lap]:
    laps = read_laps(race_file, ["NOR", "PIA"], [10, 11, 12])
    assert len(laps) == 6
    return laps


def _openf1(laps: list[Lap], folder: Path) -> tuple[Path, Path, Path]:
    """The laps as OpenF1 exports: car_data (JSON records), laps (JSON), location (CSV), with
    absolute dates; each driver's laps back to back from the same start."""
    cars, rows, places = [], [], []
    for driver in sorted({lap.meta.driver for lap in laps}):
        at = START
        for lap in (x for x in laps if x.meta.driver == driver):
            d, number = lap.data, NUMBERS[driver]
            dates = at + pd.to_timedelta(d.Time.to_numpy(), unit="s")
            stamps = [t.isoformat() for t in dates]
            duration = float(d.Time.iloc[-1]) + 0.001
            rows.append(
                {"driver_number": number, "lap_number": lap.meta.lap_number,
                 "date_start": at.isoformat(), "lap_duration": duration, "session_key": 9998}
            )  # fmt: skip
            cars += [
                {"date": s, "driver_number": number, "speed": v, "rpm": r, "n_gear": int(g),
                 "throttle": th, "brake": 100 if b else 0, "drs": int(code), "session_key": 9998,
                 "meeting_key": 1254}
                for s, v, r, g, th, b, code in zip(
                    stamps, d.Speed, d.RPM, d.nGear, d.Throttle, d.Brake, d.DRS, strict=True
                )
            ]  # fmt: skip
            places += [
                {"date": s, "driver_number": number, "x": x, "y": y, "z": z}
                for s, x, y, z in zip(stamps, d.X, d.Y, d.Z, strict=True)
            ]
            at += pd.to_timedelta(duration, unit="s")
    car, lap_file, location = folder / "car_data.json", folder / "laps.json", folder / "loc.csv"
    car.write_text(json.dumps(cars))
    lap_file.write_text(json.dumps(rows))
    pd.DataFrame(places).to_csv(location, index=False)
    return car, lap_file, location


def _same(read: list[Lap], expected: list[Lap], names: dict[str, str] | None = None) -> None:
    assert len(read) == len(expected)
    for got, want in zip(read, expected, strict=True):
        driver = want.meta.driver if names is None else names[want.meta.driver]
        assert (got.meta.driver, got.meta.lap_number) == (driver, want.meta.lap_number)
        np.testing.assert_allclose(got.data.Time, want.data.Time, atol=1e-6)
        for name in CHANNELS:
            np.testing.assert_allclose(got.data[name], want.data[name], atol=1e-6, err_msg=name)
        a, b = rule_events(got), rule_events(want)
        assert a.event.tolist() == b.event.tolist()
        np.testing.assert_allclose(a[["start_time", "end_time"]], b[["start_time", "end_time"]])


def test_openf1_exports_read_back_as_the_same_laps(tmp_path: Path, race: list[Lap]) -> None:
    car, lap_file, location = _openf1(race, tmp_path)
    laps = load_laps(files=[car], laps_file=lap_file, location_file=location)
    _same(laps, race, {k: str(v) for k, v in NUMBERS.items()})
    assert (
        load_laps(files=[car], drivers="81", laps="11", laps_file=lap_file)[0].meta.lap_number == 11
    )


def test_openf1_without_laps_is_one_stretch_a_driver_detected_in_one_pass(
    tmp_path: Path, race: list[Lap]
) -> None:
    car, _, location = _openf1(race, tmp_path)
    stretches = load_laps(files=[car], location_file=location)
    assert [s.meta.driver for s in stretches] == ["4", "81"]
    nor = stretches[0]
    assert nor.meta.lap_number is None and any("no lap boundaries" in n for n in nor.meta.notes)
    assert nor.times[-1] > 3 * 90  # three laps end to end, session time kept
    (found,) = load_detector().detect_laps([nor])
    per_lap = sum((rule_events(x).event == "braking").sum() for x in race[:3])
    assert abs((found.event == "braking").sum() - per_lap) <= 2
    assert found.start_time.max() > 2 * 90  # events on the stretch's own time


def _folder_tree(laps: list[Lap], root: Path) -> Path:
    session = root / "Pre-Season Testing" / "Practice 1"
    for driver in sorted({lap.meta.driver for lap in laps}):
        folder = session / driver
        folder.mkdir(parents=True)
        mine = [x for x in laps if x.meta.driver == driver]
        for lap in mine:
            d = lap.data
            tel = {
                "time": d.Time.tolist(), "speed": d.Speed.tolist(), "rpm": d.RPM.tolist(),
                "gear": d.nGear.tolist(), "throttle": d.Throttle.tolist(),
                "brake": d.Brake.astype(bool).tolist(), "drs": d.DRS.tolist(),
                "distance": d.Distance.tolist(), "x": d.X.tolist(), "y": d.Y.tolist(),
                "z": d.Z.tolist(), "dataKey": f"2026-test-{driver}-{lap.meta.lap_number}",
            }  # fmt: skip
            (folder / f"{lap.meta.lap_number}_tel.json").write_text(json.dumps({"tel": tel}))
        times = {"lap": [x.meta.lap_number for x in mine], "time": [x.meta.lap_time for x in mine]}
        (folder / "laptimes.json").write_text(json.dumps(times))
    (session / "corners.json").write_text("{}")
    return session


def test_a_per_lap_folder_tree_reads_back_as_the_same_laps(tmp_path, bahrain_laps) -> None:
    laps = [x for x in bahrain_laps if x.meta.driver in ("LEC", "NOR")]
    laps = [x for x in laps if x.meta.lap_number in (12, 13, 2)]
    session = _folder_tree(laps, tmp_path)
    expected = sorted(laps, key=lambda x: (x.meta.driver, x.meta.lap_number))
    read = load_laps(files=[tmp_path])
    _same(read, expected)
    assert [x.meta.lap_time for x in read] == [x.meta.lap_time for x in expected]
    assert read[0].meta.session == "Practice 1"
    lec = load_laps(files=[str(session / "LEC" / "*_tel.json")])
    assert {x.meta.driver for x in lec} == {"LEC"} and len(lec) == len(expected) // 2


def _one_line(*args: str, words: str) -> None:
    result = CliRunner().invoke(main, list(args))
    assert result.exit_code == 2, result.output
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("Error: ") and words in lines[0], lines


def test_bad_sources_are_one_line(tmp_path: Path, race: list[Lap], bahrain_laps) -> None:
    car, lap_file, _ = _openf1(race, tmp_path)
    other = tmp_path / "other_laps.json"
    rows = json.loads(lap_file.read_text())
    other.write_text(json.dumps([{**r, "driver_number": 44} for r in rows]))
    with pytest.raises(TelecnnError, match="no laps of driver 4, 81"):
        load_laps(files=[car], laps_file=other)
    _one_line("telemetry", "show", "--file", str(car), "--laps", str(other), words="(it holds 44)")
    _one_line("detect-events", "--file", str(tmp_path / "nope" / "*.json"), words="matches no file")
    tree = _folder_tree([x for x in bahrain_laps if x.meta.lap_number == 2][:1], tmp_path / "t")
    broken = next(tree.rglob("*_tel.json")).with_name("3_tel.json")
    broken.write_text('{"tel": {"time": [0, 1')
    _one_line("telemetry", "show", "--file", str(tmp_path / "t"), words="3_tel.json")
    odd = tmp_path / "notes.txt"
    odd.write_text("just some notes\n")
    _one_line("detect-events", "--file", str(odd), words="not a telemetry format")


def test_the_format_is_read_from_the_content(tmp_path: Path, race_file: Path) -> None:
    unnamed = tmp_path / "race.dat"
    unnamed.write_bytes(race_file.read_bytes())  # Parquet under another name
    assert len(read_laps(unnamed, ["VER"], [5])) == 1


def test_kernels_apply_reads_an_openf1_export(tmp_path: Path, race: list[Lap]) -> None:
    car, _, _ = _openf1(race, tmp_path)
    out = tmp_path / "response.csv"
    args = ["kernels", "apply", "edge", "--file", str(car), "--column", "Speed"]
    result = CliRunner().invoke(main, [*args, "--out", str(out)])
    assert result.exit_code == 0, result.output
    response = pd.read_csv(out)
    assert set(response.Driver.astype(str)) == {"4", "81"} and len(response) == sum(map(len, race))


def test_lap_choices_apply_across_a_folder_with_its_timing(tmp_path, bahrain_laps) -> None:
    """A per-lap folder as public repositories publish it, laptimes.json with fastf1's timing
    (compound, stint, pit times, track status, deleted, accurate, team) and drivers.json:
    --lap picks laps per driver across every file of the folder or a glob, each lap carries
    its timing, and a lap a driver does not have is one line naming it."""
    laps = [x for x in bahrain_laps if x.meta.driver in ("LEC", "NOR")]
    laps = [x for x in laps if x.meta.lap_number in (12, 13, 2)]
    session = _folder_tree(laps, tmp_path)
    lec_times = json.loads((session / "LEC" / "laptimes.json").read_text())
    n = len(lec_times["lap"])
    lec_times |= {
        "time": [99.5, "None", 101.25][:n], "compound": ["SOFT"] * n, "stint": [1, 2, 2][:n],
        "pin": ["None", 1500.2, "None"][:n], "pout": ["None"] * n, "status": ["1", "14", "1"][:n],
        "del": [False] * n, "iacc": [True, False, True][:n], "team": ["Ferrari"] * n,
    }  # fmt: skip
    (session / "LEC" / "laptimes.json").write_text(json.dumps(lec_times))
    (session / "drivers.json").write_text(
        json.dumps({"drivers": [{"driver": "NOR", "team": "McLaren"}]})
    )
    chosen = load_laps(files=[tmp_path], laps="LEC:12,NOR:2")
    assert [(x.meta.driver, x.meta.lap_number) for x in chosen] == [("LEC", 12), ("NOR", 2)]
    lec = {x.meta.lap_number: x.meta for x in load_laps(files=[session / "LEC"])}
    numbers = sorted(lec)
    assert lec[numbers[0]].lap_time == 99.5 and lec[numbers[0]].lap_time_source == "timing"
    assert lec[numbers[1]].lap_time is None  # the timing has none: never the trace's
    assert lec[numbers[1]].pit_in and lec[numbers[1]].track_status == "14"
    assert lec[numbers[1]].status == "in-lap" and lec[numbers[0]].team == "Ferrari"
    nor = load_laps(files=[str(session / "*" / "*_tel.json")], drivers="NOR")
    assert {x.meta.team for x in nor} == {"McLaren"}
    result = CliRunner().invoke(
        main,
        [
            "compare-laps",
            "--file",
            str(session),
            "--lap",
            "LEC:12,NOR:2",
            "--detector",
            "rules",
        ],  # fmt: skip
    )
    assert result.exit_code == 0, result.output
    assert "NOR lap 2 vs LEC lap 12" in result.output
    _one_line("detect-events", "--file", str(session), "--lap", "LEC:40", "--detector", "rules",
              words="LEC has no lap 40")  # fmt: skip
    _one_line("detect-events", "--file", str(session), "--lap", "HAM:2", "--detector", "rules",
              words="driver HAM not in")  # fmt: skip
