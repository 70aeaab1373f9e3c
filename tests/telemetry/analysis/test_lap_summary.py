"""`telecnn summarize` and its Python twin on real laps: the per-lap table, the medians per
driver (and stint), the energy figure, and laps without a lap time."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from telecnn.cli import main
from telecnn.telemetry.analysis.lap_summary import (
    driver_medians,
    format_summary,
    summarize,
    summarize_laps,
)
from telecnn.telemetry.analysis.tables import seconds_of
from telecnn.telemetry.events.rules import rule_events
from telecnn.telemetry.laps.schema import Lap


def run(*args: str):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def test_a_race_lap_by_lap(china_laps: list[Lap]) -> None:
    found = [rule_events(lap) for lap in china_laps]
    table = summarize_laps(china_laps, found)
    assert len(table) == len(china_laps)
    assert list(table.driver.unique()) == ["NOR", "PIA", "RUS", "VER"]
    lap, events = china_laps[3], found[3]
    row = table.iloc[3]
    assert row.lap == lap.meta.lap_number and row.lap_time == pytest.approx(lap.meta.lap_time)
    assert row.braking_zones == (events.event == "braking").sum()
    assert row.braking_s == pytest.approx(seconds_of(events, "braking"))
    assert row.top_speed == lap.data.Speed.max() and row.min_speed == lap.data.Speed.min()
    assert table.drs_s.notna().all() and (table[table.status == "clean"].drs_s > 0).any()
    racing = table[table.lap > 1]  # the standing start is no racing lap
    assert (racing.braking_zones >= 6).all() and (racing.top_speed > 290).all()
    medians = driver_medians(table)  # per driver and stint, over clean laps
    assert list(medians.driver.unique()) == ["NOR", "PIA", "RUS", "VER"]
    assert medians.laps.sum() == len(table)
    assert medians.clean.sum() == (table.status == "clean").sum()
    nor = table[(table.driver == "NOR") & (table.stint == 1)]
    first = medians[(medians.driver == "NOR") & (medians.stint == 1)].iloc[0]
    assert first.laps == len(nor) and first.clean == (nor.status == "clean").sum()
    assert first.lap_time == pytest.approx(nor[nor.status == "clean"].lap_time.median())


def test_2026_laps_have_clipping_and_no_drs(bahrain_laps: list[Lap]) -> None:
    laps = [lap for lap in bahrain_laps if lap.meta.driver == "LEC"][:30]
    table = summarize(laps, "rules")
    assert table.drs_s.isna().all()  # a car without DRS: not applicable, never 0 s of it
    assert "drs_s" not in format_summary(driver_medians(table))
    fast = table[table.lap_time < table.lap_time.min() * 1.03]  # push laps
    assert len(fast) and (fast.clipping_s > 0).all()


def test_drs_seconds_are_the_sessions_whichever_laps_are_picked(china_laps: list[Lap]) -> None:
    """Most China race laps never open DRS (a constant channel, as a 2026 car's): picked
    alone they still show 0 s, for the race used DRS."""
    constant = [lap for lap in china_laps if np.ptp(lap.columns["DRS"]) == 0]
    assert len(constant) > 20 and all(lap.meta.session_drs for lap in constant)
    table = summarize(constant[:4], "rules")
    assert (table.drs_s == 0).all()
    assert "drs_s" in format_summary(driver_medians(table, "all"))


def test_what_the_channels_cannot_show_is_missing_not_zero(china_laps: list[Lap]) -> None:
    table = summarize(china_laps[:3], "rules", channels=["Speed"])
    assert table.clipping_s.isna().all() and table.drs_s.isna().all()
    assert table.braking_zones.notna().all() and (table.braking_zones > 0).all()


def test_timing_columns_and_stints_from_fastf1_laps(hungary_dir: Path) -> None:
    table = summarize(sorted(hungary_dir.glob("*.json"))[:3], "rules")
    assert {"team", "compound", "tyre_life", "stint", "track_status"} <= set(table.columns)
    assert set(table.compound) == {"SOFT"}
    assert "stint" in driver_medians(table).columns


def test_the_command_writes_the_table_and_the_figure(race_file: Path, tmp_path: Path) -> None:
    out, fig = tmp_path / "summary.parquet", tmp_path / "energy.png"
    result = run("summarize", "--file", str(race_file), "--detector", "rules",
                 "--out", str(out), "--plot", str(fig))  # fmt: skip
    assert result.exit_code == 0, result.output
    table = pd.read_parquet(out)
    assert len(table) == 224 and table.groupby("driver").lap.nunique().eq(56).all()
    assert "the per-lap table goes to --out" not in result.stdout  # --out given
    assert "per driver and stint, medians over clean laps" in result.stdout
    assert fig.read_bytes()[:4] == b"\x89PNG"


def test_laps_without_a_lap_time_are_noted(hungary_laps: dict[str, Lap], tmp_path: Path) -> None:
    """Bare CSV exports carry no lap time: a whole lap's trace gives it (marked estimated),
    the driver is the file's name; a lap cut short gets none: the table shows -, stderr says
    so, exit 0."""
    whole, cut = tmp_path / "NOR.csv", tmp_path / "HAM.csv"
    hungary_laps["NOR"].data.to_csv(whole, index=False)
    ham = hungary_laps["HAM"].data
    ham[ham.Time < ham.Time.max() / 2].to_csv(cut, index=False)
    result = run("summarize", "--file", str(whole), "--file", str(cut), "--detector", "rules")
    assert result.exit_code == 0, result.output
    assert "note: 1 of 2 laps has no lap time" in result.stderr
    rows = {line.split()[0]: line.split() for line in result.stdout.splitlines()[2:4]}
    duration = hungary_laps["NOR"].times[-1] - hungary_laps["NOR"].times[0]
    assert rows["NOR"][2:5] == ["clean", f"{duration:.3f}", "estimated"]
    assert rows["HAM"][2:4] == ["partial", "-"] and int(rows["HAM"][5]) > 2  # zones counted
