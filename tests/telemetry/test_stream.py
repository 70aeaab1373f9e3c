"""A file far larger than a race, read a chunk of whole laps at a time: the same laps, statuses
and events as the whole file at once (chunks made small here, so the real race streams)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from telecnn.cli import main
from telecnn.errors import TelecnnError
from telecnn.telemetry.sources import files, load_laps
from telecnn.telemetry.sources.stream import stream_laps


@pytest.fixture(scope="module")
def wet_race(f1_data: Path) -> Path:
    return f1_data / "australia-2025" / "race.parquet"


def test_chunks_hold_whole_laps(wet_race: Path) -> None:
    chunks = list(files.frame_chunks(wet_race, rows=60_000))
    assert len(chunks) > 10
    keys = [set(zip(c.Driver, c.LapNumber, strict=True)) for c in chunks]
    assert all(not (a & b) for a, b in zip(keys, keys[1:], strict=False))  # no lap cut in two
    assert sum(len(c) for c in chunks) == len(pd.read_parquet(wet_race))


def test_laps_whose_rows_are_not_together_are_refused(wet_race: Path, tmp_path: Path) -> None:
    """A file sorted by time across drivers has each lap's rows apart: streamed, it would be
    read as pieces of laps; it is refused in one line instead."""
    frame = pd.read_parquet(wet_race)
    mixed = tmp_path / "by_time.parquet"
    frame[frame.LapNumber <= 3].sort_values("Time", kind="stable").to_parquet(mixed)
    with pytest.raises(TelecnnError, match="not together"):
        list(files.frame_chunks(mixed, rows=5_000))


@pytest.mark.parametrize("laps", [None, "fastest"])
def test_a_streamed_file_gives_the_laps_of_the_whole_file(wet_race: Path, f1_data, laps) -> None:
    """Every lap (or each driver's fastest) with the same samples and the same status, lap
    time, pits and stint as when the whole wet race is read at once, and the same notes."""
    timing = f1_data / "australia-2025" / "laps.parquet"
    notes_whole: list[str] = []
    whole = load_laps(files=[wet_race], laps=laps, laps_file=timing, notes=notes_whole)
    notes_stream: list[str] = []
    streamed = [
        lap
        for chunk in stream_laps(
            wet_race, laps=laps, laps_file=timing, notes=notes_stream, rows=80_000
        )  # fmt: skip
        for lap in chunk
    ]
    assert len(streamed) == len(whole) > 10 and notes_stream == notes_whole
    for a, b in zip(whole, streamed, strict=True):
        assert a.meta == b.meta
        assert len(a) == len(b) and (a.columns["Speed"] == b.columns["Speed"]).all()


def test_detect_events_streams_a_large_file(wet_race: Path, tmp_path: Path, monkeypatch) -> None:
    """Above the streaming size the command reads the file in chunks and writes what it writes
    for the whole file at once."""
    whole_out, stream_out = tmp_path / "whole.parquet", tmp_path / "stream.parquet"
    args = ["detect-events", "--file", str(wet_race), "--detector", "rules", "--driver",
            "NOR,PIA,VER,LEC"]  # fmt: skip
    assert CliRunner().invoke(main, [*args, "--out", str(whole_out)]).exit_code == 0
    monkeypatch.setattr(files, "STREAM_ROWS", 100_000)
    monkeypatch.setattr(files, "CHUNK_ROWS", 50_000)
    result = CliRunner().invoke(main, [*args, "--out", str(stream_out)])
    assert result.exit_code == 0, result.output
    assert "1 of 1 units done" in result.output
    whole, streamed = pd.read_parquet(whole_out), pd.read_parquet(stream_out)
    assert len(whole) == len(streamed) > 10_000
    for column in ("driver", "lap", "event", "start_time", "end_time", "status"):
        assert list(whole[column]) == list(streamed[column]), column


def test_a_lap_whose_rows_come_back_at_the_files_end_is_refused(
    wet_race: Path, tmp_path: Path
) -> None:
    frame = pd.read_parquet(wet_race)
    one = frame[(frame.Driver == "ALB") & (frame.LapNumber == 2)]
    other = frame[(frame.Driver == "ALO") & (frame.LapNumber == 2)]
    back = tmp_path / "back.parquet"
    pd.concat([one.iloc[:200], other, one.iloc[200:]]).to_parquet(back)  # ALB 2 ends the file
    with pytest.raises(TelecnnError, match="not together"):
        list(files.frame_chunks(back, rows=100))


def test_timing_of_some_drivers_times_a_streamed_file_as_a_whole_one(
    wet_race: Path, f1_data: Path, tmp_path: Path
) -> None:
    """Timing that holds only ALB's laps: chunks holding only other drivers' laps are no
    reason to refuse it; the laps come as they do from the whole file."""
    frame = pd.read_parquet(wet_race)
    race = tmp_path / "three.parquet"
    frame[frame.Driver.isin(["ALB", "ALO", "ANT"])].to_parquet(race)
    timing = pd.read_parquet(f1_data / "australia-2025" / "laps.parquet")
    alb = tmp_path / "alb_laps.parquet"
    timing[(timing.Session == "race") & (timing.Driver == "ALB")].to_parquet(alb)
    whole = load_laps(files=[race], drivers=["ALB"], laps_file=alb)
    streamed = [lap for chunk in stream_laps(race, ["ALB"], laps_file=alb, rows=2_000)
                for lap in chunk]  # fmt: skip
    assert len(whole) > 50 and [lap.meta for lap in streamed] == [lap.meta for lap in whole]
    assert all(lap.meta.lap_time_source == "timing" for lap in streamed if lap.meta.lap_time)
    assert all(len(a) == len(b) for a, b in zip(streamed, whole, strict=True))
