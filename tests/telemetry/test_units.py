"""Many sources at once: a season of real race files (copies of the China race, drivers renamed
per copy), one unit a file, on worker processes or a Dask LocalCluster, written as a dataset
folder; the same events as each file alone, resumed after a stop, broken units reported."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from telecnn.cli import main

SEASON = 4
KEYS = ["source", "driver", "lap", "start_time", "event"]


@pytest.fixture(scope="module")
def season(race_file: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Four races: the China race's laps 1-12 of each driver, drivers renamed per copy."""
    folder = tmp_path_factory.mktemp("season")
    race = pd.read_parquet(race_file)
    race = race[race.LapNumber <= 12]
    for k in range(1, SEASON + 1):
        race.assign(Driver=race.Driver + str(k)).to_parquet(folder / f"race{k}.parquet")
    return folder


def run(*args: str):
    return CliRunner().invoke(main, list(args))


def _text(value: object) -> str:
    return "-" if value is None or value is pd.NA or value != value else str(value)


def _sorted(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.sort_values(KEYS, kind="stable").reset_index(drop=True)


def test_a_season_is_the_races_one_by_one(season: Path, tmp_path: Path) -> None:
    """The dataset folder reads back (pandas.read_parquet) as every race's events, each
    race's file exactly what detect-events writes for that file alone."""
    out = tmp_path / "season"
    result = run("detect-events", "--file", str(season / "*.parquet"), "--jobs", "2",
                 "--out", f"{out}/")  # fmt: skip
    assert result.exit_code == 0, result.output
    assert f"{SEASON} of {SEASON} units done" in result.output
    dataset = pd.read_parquet(out)
    assert sorted(dataset.source.unique()) == [f"race{k}" for k in range(1, SEASON + 1)]
    assert {"source", "session", "driver", "lap", "event", "status"} <= set(dataset.columns)
    for k in (1, 3):
        alone = tmp_path / f"alone{k}.parquet"
        single = run("detect-events", "--file", str(season / f"race{k}.parquet"),
                     "--out", str(alone))  # fmt: skip
        assert single.exit_code == 0, single.output
        mine = dataset[dataset.source == f"race{k}"]
        theirs = pd.read_parquet(alone)
        assert len(mine) == len(theirs) > 500
        mine = mine.sort_values(KEYS[1:], kind="stable").reset_index(drop=True)
        theirs = theirs.sort_values(KEYS[1:], kind="stable").reset_index(drop=True)
        for column in ("driver", "lap", "event", "corner", "status", "compound"):
            if column in theirs:
                assert list(mine[column].map(_text)) == list(theirs[column].map(_text)), column
        for column in ("start_time", "end_time", "start_distance", "confidence", "entry_speed"):
            pd.testing.assert_series_equal(
                mine[column].astype(float), theirs[column].astype(float), check_names=False
            )


def test_a_local_dask_cluster_gives_the_local_runs_events(season: Path, tmp_path: Path) -> None:
    pytest.importorskip("distributed")
    local, dask = tmp_path / "local", tmp_path / "dask"
    args = ["detect-events", "--file", str(season / "*.parquet"), "--detector", "rules"]
    assert run(*args, "--jobs", "1", "--out", f"{local}/").exit_code == 0
    result = run(*args, "--cluster", "local", "--jobs", "2", "--out", f"{dask}/")
    assert result.exit_code == 0, result.output
    pd.testing.assert_frame_equal(_sorted(pd.read_parquet(local)), _sorted(pd.read_parquet(dask)))


def test_a_stopped_run_finishes_where_it_stopped(season: Path, tmp_path: Path) -> None:
    """SIGTERM after the first unit's file: that file is kept, the command says so (exit
    143); a rerun processes only the rest and ends with the dataset of a run never stopped."""
    out = tmp_path / "stopped"
    cmd = [sys.executable, "-m", "telecnn.cli", "detect-events", "--file",
           str(season / "*.parquet"), "--jobs", "1", "--out", f"{out}/"]  # fmt: skip
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    process = subprocess.Popen(cmd, stderr=subprocess.PIPE, stdout=subprocess.PIPE, env=env)
    deadline = time.monotonic() + 120
    while not list(out.glob("race*.parquet")) and time.monotonic() < deadline:
        time.sleep(0.05)
    process.send_signal(signal.SIGTERM)
    _, err = process.communicate(timeout=120)
    done = sorted(p.name for p in out.glob("race*.parquet"))
    assert process.returncode == 143, err.decode()[-500:]
    assert "stopped by SIGTERM" in err.decode() and 1 <= len(done) < SEASON
    assert not list(out.glob(".*.tmp"))
    again = run("detect-events", "--file", str(season / "*.parquet"), "--jobs", "1",
                "--out", f"{out}/")  # fmt: skip
    assert again.exit_code == 0, again.output
    assert f"({len(done)} already there)" in again.output
    whole = tmp_path / "whole"
    assert run("detect-events", "--file", str(season / "*.parquet"), "--jobs", "2",
               "--out", f"{whole}/").exit_code == 0  # fmt: skip
    pd.testing.assert_frame_equal(_sorted(pd.read_parquet(out)), _sorted(pd.read_parquet(whole)))


def test_one_broken_unit_among_many(season: Path, tmp_path: Path) -> None:
    """An unreadable file among the races: the others finish and are written, its reason is
    said, and the command ends with one line (exit 2)."""
    folder = tmp_path / "races"
    folder.mkdir()
    for k in (1, 2):
        (folder / f"race{k}.parquet").write_bytes((season / f"race{k}.parquet").read_bytes())
    (folder / "broken.parquet").write_bytes(b"PAR1 this is no parquet file")
    out = tmp_path / "out"
    result = run("detect-events", "--file", str(folder), "--detector", "rules",
                 "--out", f"{out}/")  # fmt: skip
    assert result.exit_code == 2
    assert "failed: broken: cannot read broken.parquet" in result.stderr
    assert result.stderr.strip().splitlines()[-1] == "Error: 2 of 3 units done, 1 failed"
    assert sorted(p.name for p in out.glob("*.parquet")) == ["race1.parquet", "race2.parquet"]


def test_a_season_summary_and_its_figure(season: Path, tmp_path: Path) -> None:
    figure = tmp_path / "season.png"
    result = run("summarize", "--file", str(season / "*.parquet"), "--detector", "rules",
                 "--plot", str(figure), "--out", str(tmp_path / "season.csv"))  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "per driver and source, medians over clean laps" in result.output
    table = pd.read_csv(tmp_path / "season.csv")
    assert table.groupby("source").driver.nunique().eq(4).all() and len(table) == SEASON * 48
    assert figure.read_bytes()[:4] == b"\x89PNG"


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["--file", "/nonexistent/season/*.parquet"], "matches no file"),
        (["--cluster", "tcp://127.0.0.1:9"], "cannot reach the Dask scheduler"),
    ],
)
def test_bad_season_input_is_one_line(season: Path, args: list[str], words: str) -> None:
    source = [] if "--file" in args else ["--file", str(season / "race1.parquet")]
    result = run("detect-events", *source, *args, "--detector", "rules")
    assert result.exit_code == 2, result.output
    lines = [line for line in result.stderr.splitlines() if line.startswith("Error")]
    assert len(lines) == 1 and words in lines[0], result.stderr


def test_an_output_folder_of_another_run_or_in_use(season: Path, tmp_path: Path) -> None:
    out = tmp_path / "taken"
    args = ["detect-events", "--file", str(season / "race1.parquet"), "--out", f"{out}/"]
    assert run(*args, "--detector", "rules").exit_code == 0
    other = run(*args, "--detector", "rules", "--channels", "Speed")
    assert other.exit_code == 2 and "holds files of another run" in other.stderr
    assert run(*args, "--detector", "rules", "--channels", "Speed", "--force").exit_code == 0
    from telecnn.training.run_folder import hold_run_folder

    with hold_run_folder(out):  # another run holds the folder
        busy = run(*args, "--detector", "rules", "--channels", "Speed")
    assert busy.exit_code == 2 and "is in use by another run" in busy.stderr


def test_a_runs_settings_hold_what_changes_its_tables_not_how_it_ran() -> None:
    """A dataset folder keeps one run's files: another timing file or corners file is
    another run (its statuses and corner columns differ); another engine is not."""
    from telecnn.telemetry.units.work import UnitJob

    job = UnitJob(command="detect-events", detector="cnn", laps_file="a.csv", corners_file="c.json")
    assert job.settings() != UnitJob(**{**job.__dict__, "laps_file": "b.csv"}).settings()
    assert job.settings() != UnitJob(**{**job.__dict__, "corners_file": None}).settings()
    assert (
        job.settings() == UnitJob(**{**job.__dict__, "engine": "torch", "batch_size": 8}).settings()
    )
    # the same file however it is named
    assert job.settings() == UnitJob(**{**job.__dict__, "laps_file": "./sub/../a.csv"}).settings()
