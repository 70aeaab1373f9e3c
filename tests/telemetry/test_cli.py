"""``telecnn telemetry simulate`` and ``telecnn telemetry show`` through click's CliRunner."""

from __future__ import annotations

import pandas as pd
import pytest
from click.testing import CliRunner

from telecnn.cli import main
from telecnn.telemetry.events.rules import rule_events
from telecnn.telemetry.sources import read_laps


@pytest.fixture
def run():
    runner = CliRunner()

    def invoke(*args: str):
        return runner.invoke(main, list(args), catch_exceptions=False)

    return invoke


@pytest.mark.parametrize("suffix", [".csv", ".parquet", ".json"])
def test_simulate_writes_a_multi_lap_file_the_file_source_reads(tmp_path, run, suffix):
    out = tmp_path / f"laps{suffix}"
    truth = tmp_path / "truth.csv"
    result = run(
        "telemetry",
        "simulate",
        "--circuit",
        "monaco",
        "--laps",
        "3",
        "--seed",
        "2",
        "--out",
        str(out),
        "--truth",
        str(truth),
    )
    assert result.exit_code == 0, result.output
    assert "wrote 3 laps of monaco" in result.output
    laps = read_laps(out)
    assert [(x.meta.driver, x.meta.lap_number) for x in laps] == [
        ("SIM", 1),
        ("SIM", 2),
        ("SIM", 3),
    ]
    events = pd.read_csv(truth)
    first = events[(events.LapNumber == 1) & (events.event == "braking")]
    assert len(first) == (rule_events(laps[0]).event == "braking").sum()


def test_show_prints_rule_events_and_plots(tmp_path, run, hungary_dir):
    png = tmp_path / "lap.png"
    result = run("telemetry", "show", "--file", str(hungary_dir / "NOR.json"), "--plot", str(png))
    assert result.exit_code == 0, result.output
    assert "NOR lap 17" in result.output
    assert "events: braking 8, lift_coast 3, drs 3, upshift 22, downshift 14" in result.output
    assert png.stat().st_size > 20_000 and png.read_bytes()[:4] == b"\x89PNG"


def test_show_on_a_multi_lap_file_with_driver_and_lap(run, race_file):
    result = run(
        "telemetry",
        "show",
        "--file",
        str(race_file),
        "--driver",
        "VER",
        "--lap",
        "10,11",
        "--max-rows",
        "3",
    )
    assert result.exit_code == 0, result.output
    assert "VER lap 10" in result.output and "VER lap 11" in result.output
    assert "more" in result.output


def test_show_a_simulated_lap_and_the_speed_baseline(tmp_path, run):
    result = run(
        "telemetry",
        "show",
        "--sim",
        "monza",
        "--seed",
        "3",
        "--speed-rules",
        "--plot",
        str(tmp_path / "sim.svg"),
    )
    assert result.exit_code == 0, result.output
    assert "SIM lap 1 (2026/monza/" in result.output and "events: braking" in result.output
    assert "upshift" not in result.output  # the speed-only baseline finds braking only
    assert (tmp_path / "sim.svg").exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["telemetry", "show"], "give exactly one source"),
        (["telemetry", "show", "--sim", "monza", "--file", "x.csv"], "give exactly one source"),
        (["telemetry", "show", "--sim", "imola"], "unknown circuit 'imola'"),
        (["telemetry", "show", "--file", "/no/such/lap.csv"], "no such telemetry file"),
        (["telemetry", "show", "--session", "2024/Hungary"], "needs --driver"),
        (
            ["telemetry", "show", "--session", "2024/Hungary", "--driver", "NOR"],
            "use YEAR/EVENT/SESSION",
        ),
        (["telemetry", "show", "--sim", "monza", "--offline"], "go with --session"),
        (
            ["telemetry", "simulate", "--circuit", "spa", "--laps", "1", "--out", "x.csv"],
            "unknown circuit",
        ),
    ],
)
def test_bad_input_is_one_line_and_exit_2(run, args, message):
    result = run(*args)
    assert result.exit_code == 2
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and message in lines[0]


def test_unknown_driver_and_lap_in_a_file(run, race_file):
    result = run("telemetry", "show", "--file", str(race_file), "--driver", "HAM")
    assert result.exit_code == 2 and "driver HAM not in race.parquet" in result.output
    result = run("telemetry", "show", "--file", str(race_file), "--driver", "VER", "--lap", "99")
    assert result.exit_code == 2 and "lap 99 not in race.parquet" in result.output


def test_no_network_from_the_cli(tmp_path, run, monkeypatch):
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy"):
        monkeypatch.setenv(name, "http://127.0.0.1:9")
    result = run(
        "telemetry",
        "show",
        "--session",
        "2024/Hungary/Q",
        "--driver",
        "NOR",
        "--cache",
        str(tmp_path / "cache"),
    )
    assert result.exit_code == 2
    (line,) = result.output.strip().splitlines()
    assert "cannot reach the F1 timing servers" in line and "--file" in line and "--sim" in line
