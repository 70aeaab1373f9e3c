"""Lap status on real sessions as they come: a wet race with crashes, safety cars through the
pit lane and pit stops (Australia 2025), a race with one stop a driver (China 2025), a test
day with minutes in the garage (Bahrain 2026), each checked against its own lap timing and
its raw channels."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from telecnn.errors import TelecnnError
from telecnn.telemetry.laps.schema import Lap
from telecnn.telemetry.laps.status import GARAGE_S, counts, lap_status
from telecnn.telemetry.sources import load_laps, read_laps


@pytest.fixture(scope="module")
def australia(f1_data: Path) -> list[Lap]:
    """The whole wet Australian race, judged without its timing (the trace alone)."""
    return read_laps(f1_data / "australia-2025" / "race.parquet")


@pytest.fixture(scope="module")
def timing(f1_data: Path) -> pd.DataFrame:
    table = pd.read_parquet(f1_data / "australia-2025" / "laps.parquet")
    return table[table.Session == "race"].set_index(["Driver", "LapNumber"])


def test_crashes_and_retirements_are_partial_and_have_no_lap_time(australia) -> None:
    """Doohan and Sainz crashed on lap 1, Hadjar never started, Alonso, Bortoleto and Lawson
    crashed later: each of those laps covers a part of the circuit (the raw Distance says so)
    and none has a lap time; every other lap covers it."""
    partial = {(lap.meta.driver, lap.meta.lap_number) for lap in australia if not lap.meta.whole}
    assert partial == {("DOO", 1), ("HAD", 1), ("SAI", 1), ("ALO", 33), ("BOR", 46), ("LAW", 47)}
    for lap in australia:
        moved = np.ptp(lap.columns["Distance"])
        if lap.meta.whole:
            assert moved > 4700, lap
        else:
            assert moved < 4700 and lap.meta.lap_time is None and lap_status(lap.meta) != "clean"


def test_estimated_lap_times_are_the_timings_own(australia, timing) -> None:
    """Where the trace gives a whole lap its time (no timing given), it is the lap time the
    timing has for it (to the sample)."""
    gaps = []
    for lap in australia:
        key = (lap.meta.driver, lap.meta.lap_number)
        if lap.meta.lap_time_source == "estimated" and pd.notna(timing.LapTime.get(key)):
            gaps.append(abs(lap.meta.lap_time - timing.LapTime[key].total_seconds()))
    assert len(gaps) > 800 and np.median(gaps) < 0.01 and max(gaps) < 0.5


def test_the_safety_car_through_the_pit_lane_and_the_stops(australia, timing) -> None:
    """Laps 2-4 the field followed the safety car through the pit lane (the timing has no
    lap time for them): each of them starts or ends in the pit lane; a driver's tyre change
    (the timing's compound) is an in-lap followed by an out-lap."""
    by_key = {(lap.meta.driver, lap.meta.lap_number): lap for lap in australia}
    for driver in ("NOR", "VER", "LEC", "ALB"):
        assert by_key[(driver, 2)].meta.pit_in and not by_key[(driver, 2)].meta.pit_out
        assert by_key[(driver, 3)].meta.pit_in and by_key[(driver, 3)].meta.pit_out
        compounds = timing.loc[driver, "Compound"]
        changes = compounds.index[1:][compounds.to_numpy()[1:] != compounds.to_numpy()[:-1]]
        assert len(changes) >= 2
        for lap in changes:  # the first lap on the new tyres
            assert by_key[(driver, lap - 1)].meta.pit_in, (driver, lap - 1)
            assert by_key[(driver, lap)].meta.pit_out, (driver, lap)
    clean = [lap for lap in australia if lap_status(lap.meta) == "clean"]
    assert 700 < len(clean) < 850
    assert not any(lap.meta.pit_in or lap.meta.pit_out for lap in clean)


@pytest.mark.parametrize(
    ("drivers", "laps"), [(["NOR"], [34]), (None, [2, 34, 44]), (["VER"], "all")]
)
def test_a_lap_picked_has_the_status_it_has_in_its_session(f1_data, australia, drivers, laps):
    """A lap is judged against its session's laps (their length, the racing line), not against
    those picked: NOR's lap 34, his stop, picked alone is the in-lap it is in the race."""
    picked = read_laps(f1_data / "australia-2025" / "race.parquet", drivers=drivers, laps=laps)
    whole_race = {(lap.meta.driver, lap.meta.lap_number): lap.meta for lap in australia}
    assert picked
    for lap in picked:
        assert lap.meta == whole_race[(lap.meta.driver, lap.meta.lap_number)], lap


def test_timing_that_says_only_out_laps_leaves_in_laps_to_the_trace(
    f1_data, timing, tmp_path
) -> None:
    """Timing that marks pit-out laps only (as OpenF1's laps export does, ``is_pit_out_lap``):
    the trace still finds the in-laps."""
    table = timing.reset_index()
    table = table[table.Driver == "NOR"]
    out_only = pd.DataFrame({
        "Driver": "NOR", "LapNumber": table.LapNumber,
        "LapTime": table.LapTime.dt.total_seconds(),
        "is_pit_out_lap": table.LapNumber.isin([35, 45]),
    })  # fmt: skip
    out_only.to_csv(tmp_path / "laps.csv", index=False)
    path = f1_data / "australia-2025" / "race.parquet"
    laps = read_laps(path, drivers=["NOR"], laps_file=tmp_path / "laps.csv")
    in_laps = {lap.meta.lap_number for lap in laps if lap.meta.pit_in}
    assert {34, 44} <= in_laps and not any(lap_status(lap.meta) == "clean" for lap in laps
                                           if lap.meta.lap_number in (34, 44))  # fmt: skip


def test_each_drivers_fastest_lap_is_the_timings(f1_data: Path, timing) -> None:
    """With the timing given (--laps), every driver's fastest lap is the timing's fastest; the
    three who never finished a lap have none, and the notes say why."""
    notes: list[str] = []
    fastest = load_laps(
        files=[f1_data / "australia-2025" / "race.parquet"],
        laps_file=f1_data / "australia-2025" / "laps.parquet",
        laps="fastest",
        notes=notes,
    )
    best = timing.dropna(subset=["LapTime"]).reset_index().sort_values("LapTime")
    best = best.groupby("Driver").head(1).set_index("Driver")
    assert len(fastest) == 17
    for lap in fastest:
        assert lap.meta.lap_number == best.LapNumber[lap.meta.driver]
        assert lap.meta.lap_time == pytest.approx(best.LapTime[lap.meta.driver].total_seconds())
        assert lap.meta.lap_time_source == "timing" and lap.meta.compound
    assert sorted(n.split(":")[0] for n in notes) == ["DOO", "HAD", "SAI"]
    assert all("no clean lap with a lap time (1 partial)" in n for n in notes)


def test_timing_without_a_lap_time_leaves_the_lap_without_one(f1_data: Path) -> None:
    """The test day's timing has no lap time for out-, in- and garage laps: those laps get
    none (never their trace's minutes), whatever their trace covers."""
    laps = read_laps(
        f1_data / "bahrain-2026-test" / "day1.parquet",
        laps_file=f1_data / "bahrain-2026-test" / "day1-laps.parquet",
    )
    timing = pd.read_parquet(f1_data / "bahrain-2026-test" / "day1-laps.parquet")
    untimed = set(map(tuple, timing[timing.LapTime.isna()][["Driver", "LapNumber"]].to_numpy()))
    for lap in laps:
        key = (lap.meta.driver, lap.meta.lap_number)
        assert (lap.meta.lap_time is None) == (key in untimed)
        assert lap.meta.lap_time_source == "timing"
        assert lap.meta.compound in ("SOFT", "MEDIUM", "HARD")
    assert len(untimed) > 40


def test_minutes_in_the_garage_are_no_lap_time(bahrain_laps: list[Lap]) -> None:
    """Without timing, a test-day lap that holds minutes in the garage gets no lap time and
    is an out- or in-lap; the push laps are clean and timed by their trace."""
    garage = 0
    for lap in bahrain_laps:
        speed, t = lap.columns["Speed"], lap.times
        standing = np.sum(np.diff(t)[speed[:-1] < 1])
        if standing > GARAGE_S:
            garage += 1
            assert lap.meta.lap_time is None and lap_status(lap.meta) != "clean", lap
            assert lap.meta.pit_in or lap.meta.pit_out
    clean = [lap for lap in bahrain_laps if counts(lap.meta)]
    assert garage > 20 and len(clean) > 200
    times = [lap.meta.lap_time for lap in clean]  # push laps, long runs, cool-down laps
    assert max(times) < 1.6 * np.median(times)  # never minutes of garage


def test_timing_of_another_session_or_file_is_refused(f1_data: Path) -> None:
    with pytest.raises(TelecnnError, match="the timing in laps.parquet is not of these laps"):
        read_laps(
            f1_data / "bahrain-2026-test" / "day1.parquet",
            laps_file=f1_data / "china-2025-r" / "laps.parquet",
        )
    # three sessions in one timing file: the one whose laps these are is used
    quali = read_laps(
        f1_data / "australia-2025" / "qualifying.parquet",
        drivers="NOR",
        laps_file=f1_data / "australia-2025" / "laps.parquet",
    )
    timing = pd.read_parquet(f1_data / "australia-2025" / "laps.parquet")
    mine = timing[(timing.Session == "qualifying") & (timing.Driver == "NOR")]
    times = dict(zip(mine.LapNumber, mine.LapTime.dt.total_seconds(), strict=True))
    for lap in quali:
        expected = times.get(lap.meta.lap_number, np.nan)
        assert lap.meta.lap_time == (None if np.isnan(expected) else pytest.approx(expected))


def test_files_of_one_lap_each_are_timed_together(f1_data, timing, tmp_path) -> None:
    """Laps in files of their own are timed as one session: a lap the timing lacks is left
    untimed (its time estimated from the trace), not a refusal of the whole load."""
    race = pd.read_parquet(f1_data / "australia-2025" / "race.parquet")
    paths = []
    for lap in range(10, 15):
        path = tmp_path / f"NOR_{lap}.parquet"
        race[(race.Driver == "NOR") & (race.LapNumber == lap)].to_parquet(path)
        paths.append(path)
    table = timing.reset_index()
    table = table[(table.Driver == "NOR") & table.LapNumber.between(10, 14)]
    table[table.LapNumber != 12].to_parquet(tmp_path / "laps.parquet")
    laps = load_laps(files=paths, laps_file=tmp_path / "laps.parquet")
    source = {lap.meta.lap_number: lap.meta.lap_time_source for lap in laps}
    assert source == {10: "timing", 11: "timing", 12: "estimated", 13: "timing", 14: "timing"}
