"""Tables of laps and events: one frame of many laps' events, files, and the CLI's text."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from telecnn.telemetry.analysis.tables import (
    all_events,
    count_line,
    format_events,
    lap_header,
    laps_table,
    write_events,
)
from telecnn.telemetry.events.rules import rule_events
from telecnn.telemetry.laps.notes import notes_summary
from telecnn.telemetry.laps.schema import EVENT_COLUMNS, Lap
from telecnn.telemetry.sources import read_laps


@pytest.fixture(scope="module")
def two(hungary_laps: dict[str, Lap]) -> tuple[list[Lap], list[pd.DataFrame]]:
    laps = [hungary_laps["NOR"], hungary_laps["LEC"]]
    return laps, [rule_events(lap) for lap in laps]


def test_one_lap_keeps_its_table_and_several_get_driver_and_lap(two):
    laps, found = two
    alone = all_events(laps[:1], found[:1])
    pd.testing.assert_frame_equal(alone, found[0].reset_index(drop=True))
    both = all_events(laps, found)
    assert list(both.columns[:2]) == ["driver", "lap"] and len(both) == sum(map(len, found))
    assert both.groupby("driver").size().to_dict() == {"NOR": len(found[0]), "LEC": len(found[1])}
    assert set(both["lap"]) == {laps[0].meta.lap_number, laps[1].meta.lap_number}


@pytest.mark.parametrize("suffix", [".csv", ".json", ".parquet"])
def test_written_events_read_back_as_they_were(tmp_path: Path, two, suffix: str):
    laps, found = two
    path = write_events(tmp_path / f"events{suffix}", laps, found)
    back = {".csv": pd.read_csv, ".json": pd.read_json, ".parquet": pd.read_parquet}[suffix](path)
    expected = all_events(laps, found)
    assert list(back.columns) == list(expected.columns)
    pd.testing.assert_series_equal(back["event"], expected["event"])
    assert back["start_time"].to_numpy() == pytest.approx(expected["start_time"].to_numpy())
    assert not list(tmp_path.glob("*.tmp*"))  # written atomically: no temp file left


def test_text_tables_count_in_taxonomy_order_and_cut_long_tables(two):
    laps, found = two
    events = found[0]
    line = count_line(events)
    names = [part.split()[0] for part in line.split(", ")]
    assert names[0] == "braking" and names.index("upshift") < names.index("downshift")
    assert sum(int(part.split()[1]) for part in line.split(", ")) == len(events)
    assert count_line(events.iloc[:0]) == "no events"
    text = format_events(events, max_rows=5)
    assert f"... {len(events) - 5} more" in text and "entry_speed" in text
    assert format_events(events.iloc[:0]) == "  (no events)"
    header = lap_header(laps[0])
    assert header.startswith("NOR lap") and f"{len(laps[0])} samples at 3." in header
    full, short = laps_table(laps, found), laps_table(laps, found, full=False)
    assert full.count("events: ") == 2 and len(short.splitlines()) == 2
    assert all(col in full for col in EVENT_COLUMNS[1:])


def test_the_notes_a_source_left_are_summed_up_per_file_not_in_the_header(tmp_path: Path, two):
    laps, _ = two
    gappy = laps[0].data.drop(index=range(100, 130)).reset_index(drop=True)
    gappy.to_csv(tmp_path / "gappy.csv", index=False)
    lap = read_laps(tmp_path / "gappy.csv")[0]
    assert lap.meta.notes and "\n" not in lap_header(lap)
    assert notes_summary([lap]) == [f"gappy.csv: {note}" for note in lap.meta.notes]
