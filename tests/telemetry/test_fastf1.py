"""The fastf1 path without a network: real fastf1 objects built from the exported laps, session
specs, and the one-line errors when the timing servers cannot be reached."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from fastf1.core import Laps, Telemetry

from telecnn.errors import TelecnnError
from telecnn.telemetry.sources import as_lap, as_laps, load_laps, parse_session_spec
from telecnn.telemetry.sources.fastf1_source import SessionSpec, load_session, session_laps

DRIVERS = ("HAM", "LEC", "NOR")


def _timed(columns: dict) -> pd.DataFrame:
    frame = pd.DataFrame(columns)
    for name in ("Time", "SessionTime"):
        frame[name] = pd.to_timedelta(frame[name])
    frame["Date"] = pd.to_datetime(frame["Date"])
    return frame


class TimingData:
    """What fastf1's ``Laps`` asks of its session: car and position data per driver number."""

    def __init__(self) -> None:
        self.car_data: dict[str, Telemetry] = {}
        self.pos_data: dict[str, Telemetry] = {}


@pytest.fixture(scope="module")
def exports(hungary_dir: Path) -> dict:
    return {d: json.loads((hungary_dir / f"{d}.json").read_text()) for d in DRIVERS}


@pytest.fixture(scope="module")
def real_laps(exports) -> Laps:
    """A real fastf1 ``Laps`` of three drivers, slicing real ``Telemetry`` by lap times."""
    timing = TimingData()
    rows = []
    for number, (driver, obj) in enumerate(exports.items(), start=1):
        car, pos = _timed(obj["telemetry"]), _timed(obj["position_data"])
        timing.car_data[str(number)] = Telemetry(car, session=timing, driver=str(number))
        timing.pos_data[str(number)] = Telemetry(pos, session=timing, driver=str(number))
        start = car.SessionTime.iloc[0] - car.Time.iloc[0]
        lap_time = pd.Timedelta(seconds=obj["lap_time_seconds"])
        rows.append(
            {
                **obj["lap_details"],
                "Driver": driver,
                "DriverNumber": str(number),
                "LapNumber": float(obj["lap_number"]),
                "LapTime": lap_time,
                "LapStartTime": start,
                "Time": start + lap_time,
            }
        )
    return Laps(pd.DataFrame(rows), session=timing)


def test_telemetry_objects_become_the_same_lap_as_the_file(exports, hungary_laps):
    for driver, obj in exports.items():
        tel = Telemetry(_timed(obj["telemetry"]))
        lap = as_lap(tel)
        want = hungary_laps[driver].data
        for name in ("Speed", "RPM", "nGear", "Throttle", "Brake", "DRS"):
            np.testing.assert_array_equal(lap.data[name], want[name])
        np.testing.assert_allclose(lap.data.Time, want.Time)
        assert lap.meta.source == "fastf1"


def test_real_laps_objects_pick_drivers_and_laps(real_laps, exports, hungary_laps):
    laps = as_laps(real_laps, drivers=["nor", "HAM"], laps="fastest")
    assert [x.meta.driver for x in laps] == ["NOR", "HAM"]
    nor = laps[0]
    assert nor.meta.lap_number == exports["NOR"]["lap_number"]
    assert nor.meta.lap_time == pytest.approx(exports["NOR"]["lap_time_seconds"])
    assert {"X", "Y", "Z", "Distance"} <= set(nor.data.columns)  # position merged onto car samples
    # fastf1 slices the car data by the lap's start and end: the same samples as the export
    np.testing.assert_array_equal(nor.data.Speed, hungary_laps["NOR"].data.Speed)
    one = as_lap(real_laps.pick_drivers("LEC"))
    assert one.meta.driver == "LEC"
    assert len(as_laps(real_laps)) == 3
    numbered = session_laps(real_laps, "HAM", laps=str(int(exports["HAM"]["lap_number"])))
    assert len(numbered) == 1
    with pytest.raises(TelecnnError, match="driver VER not in this session: have HAM, LEC, NOR"):
        session_laps(real_laps, ["VER"])
    with pytest.raises(TelecnnError, match="lap 99 not in this session: lap 20"):
        session_laps(real_laps, "HAM", laps="99")
    with pytest.raises(TelecnnError, match="3 laps"):
        as_lap(real_laps)


@pytest.mark.parametrize(
    ("spec", "want"),
    [
        ("2024/Hungary/Q", SessionSpec(2024, "Hungary", "Q")),
        ("2024/13/R", SessionSpec(2024, 13, "R")),
        ("2023/Abu_Dhabi/fp2", SessionSpec(2023, "Abu Dhabi", "FP2")),
        ("2024/China/Sprint Qualifying", SessionSpec(2024, "China", "SQ")),
        ("2024/Miami/S/", SessionSpec(2024, "Miami", "S")),
    ],
)
def test_session_specs(spec, want):
    assert parse_session_spec(spec) == want


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("2024/Hungary", "use YEAR/EVENT/SESSION"),
        ("24/Hungary/Q", "bad year"),
        ("2024/Hungary/Q4", "unknown session 'Q4'"),
        ("2024//Q", "use YEAR/EVENT/SESSION"),
    ],
)
def test_bad_session_specs(spec, message):
    with pytest.raises(TelecnnError, match=message):
        parse_session_spec(spec)


@pytest.fixture
def no_network(monkeypatch):
    """Send fastf1's real requests to a closed local port, so they fail at once on any machine."""
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy"):
        monkeypatch.setenv(name, "http://127.0.0.1:9")
    for name in ("NO_PROXY", "no_proxy"):
        monkeypatch.delenv(name, raising=False)


def test_no_network_gives_one_line_naming_the_alternatives(tmp_path, no_network):
    """fastf1 really tries its servers (schedule backends) and fails."""
    with pytest.raises(TelecnnError) as info:
        load_session("2024/Hungary/Q", cache=tmp_path / "cache")
    text = str(info.value)
    assert "\n" not in text and "cannot reach the F1 timing servers for 2024/Hungary/Q" in text
    for hint in ("--file", "--offline", "--sim"):
        assert hint in text


@pytest.mark.parametrize(
    ("raised", "message"),
    [
        (ValueError("Invalid round: 99"), "unknown event 99 in 2024: Invalid round: 99"),
        (
            ValueError("Session type 'SQ' does not exist for this event"),
            "no session 'SQ' at 99 2024",
        ),
        (RuntimeError("something else"), "cannot load session 2024/99/SQ: RuntimeError"),
    ],
)
def test_fastf1_refusals_become_one_line(tmp_path, monkeypatch, raised, message):
    """What fastf1 raises for an unknown round or session type, as one line naming it."""
    import fastf1

    def refuse(*args, **kwargs):
        raise raised

    monkeypatch.setattr(fastf1, "get_session", refuse)
    with pytest.raises(TelecnnError) as info:
        load_session("2024/99/SQ", cache=tmp_path / "cache")
    assert message in str(info.value) and "\n" not in str(info.value)


def test_offline_mode_needs_a_filled_cache(tmp_path, no_network):
    empty = tmp_path / "empty"
    with pytest.raises(TelecnnError, match="needs a filled fastf1 cache"):
        load_laps(session="2024/Hungary/Q", drivers="NOR", cache=empty, offline=True)
    filled = tmp_path / "filled"
    filled.mkdir()
    (filled / "fastf1_http_cache.sqlite").write_bytes(b"")
    with pytest.raises(TelecnnError, match="offline cache lacks this session"):
        load_laps(session="2024/Hungary/Q", drivers="NOR", cache=filled, offline=True)


def test_compare_laps_through_a_fastf1_session(real_laps, monkeypatch, tmp_path):
    """``compare-laps --session``: the fastest laps of two drivers out of real fastf1 objects."""
    from click.testing import CliRunner

    import telecnn.telemetry.sources as sources
    from telecnn.cli import main

    monkeypatch.setattr(sources, "load_session", lambda spec, cache=None, offline=False: real_laps)
    fig = tmp_path / "compare.png"
    args = ["compare-laps", "--session", "2024/Hungary/Q", "--driver", "LEC,HAM"]
    result = CliRunner().invoke(main, [*args, "--detector", "rules", "--plot", str(fig)])
    assert result.exit_code == 0, result.output
    first = result.stdout.splitlines()[0]
    assert first.startswith("HAM lap ") and " vs LEC lap " in first
    assert fig.read_bytes()[:4] == b"\x89PNG"


class CircuitSession(TimingData):
    """A timing session that, like a loaded fastf1 ``Session``, gives its circuit's info."""

    def __init__(self, info: object) -> None:
        super().__init__()
        self.info = info

    def get_circuit_info(self) -> object:
        if isinstance(self.info, Exception):
            raise self.info
        return self.info


def _laps_on(session: TimingData, real_laps: Laps) -> Laps:
    session.car_data, session.pos_data = real_laps.session.car_data, real_laps.session.pos_data
    return Laps(pd.DataFrame(real_laps), session=session)


def test_corners_come_from_fastf1s_circuit_info(real_laps: Laps) -> None:
    """The session's ``get_circuit_info().corners`` (a real fastf1 ``CircuitInfo``) numbers the
    braking zones: here corners at LEC's slowest points, which HAM and NOR brake into too."""
    from fastf1.mvapi import CircuitInfo

    from telecnn.telemetry.analysis.corners import label_laps
    from telecnn.telemetry.detector.running import detect_laps

    lec = session_laps(real_laps, ["LEC"], "fastest")[0]
    speed = lec.data["Speed"].to_numpy(float)
    slow = [k for k in range(1, len(speed) - 1) if speed[k] <= speed[k - 1 : k + 2].min()]
    slow = [k for k in slow if speed[k] < 160]
    corners = pd.DataFrame(
        {
            "Number": np.arange(1, len(slow) + 1),
            "Letter": "",
            "X": lec.data["X"].to_numpy()[slow],
            "Y": lec.data["Y"].to_numpy()[slow],
            "Angle": 0.0,
            "Distance": lec.distance[slow],
        }
    )
    info = CircuitInfo(corners, corners.iloc[:0], corners.iloc[:0], 0.0)
    laps = session_laps(_laps_on(CircuitSession(info), real_laps), ["HAM", "NOR"], "fastest")
    assert all(lap.corners is not None and len(lap.corners) == len(slow) for lap in laps)
    labelled = [
        ev[ev.event == "braking"].dropna(subset=["corner"])
        for ev in label_laps(laps, detect_laps(laps, "rules"))
    ]
    assert all(len(ev) >= len(slow) - 1 for ev in labelled)
    assert set(labelled[0].corner) & set(labelled[1].corner) >= {"T1", "T2"}


def test_a_session_without_circuit_info_notes_it(real_laps: Laps) -> None:
    session = CircuitSession(ConnectionError("Failed to load any schedule data"))
    laps = session_laps(_laps_on(session, real_laps), ["HAM"], "fastest")
    assert laps[0].corners is None
    assert any("no corner numbers" in note for note in laps[0].meta.notes)


def test_train_events_learns_from_a_fastf1_session(real_laps, monkeypatch, tmp_path, tiny_training):
    """``train-events --session``: real fastf1 laps join the simulated ones, and the model card
    counts them under the session (a throwaway model: the shipped one never sees these laps)."""
    from click.testing import CliRunner

    import telecnn.telemetry.sources as sources
    from telecnn.cli import main

    monkeypatch.setattr(sources, "load_session", lambda spec, cache=None, offline=False: real_laps)
    out = tmp_path / "run"
    args = [*tiny_training, "--epochs", "1", "--session", "2024/Hungary/Q", "--out", str(out)]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    card = json.loads((out / "model_card.json").read_text())
    assert card["real_laps"] == len(real_laps) and card["simulated_laps"] == 16
    assert sum(card["real_sources"].values()) == len(real_laps)
    assert f"and {len(real_laps)} real laps" in result.output
