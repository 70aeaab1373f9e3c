"""The file source: every documented export format, read back to the same lap."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from telecnn.errors import DataNotFoundError, TelecnnError
from telecnn.telemetry.sources import as_lap, as_laps, load_laps, read_laps
from telecnn.telemetry.sources.files import laps_frame, write_laps

from .conftest import car_frame


@pytest.fixture(scope="module")
def nor(hungary_dir):
    return car_frame(hungary_dir, "NOR")


def _same_lap(lap, reference):
    for name in ("Speed", "RPM", "nGear", "Throttle", "Brake", "DRS"):
        np.testing.assert_array_equal(lap.data[name].to_numpy(), reference.data[name].to_numpy())
    np.testing.assert_allclose(lap.data.Time, reference.data.Time, atol=1e-6)


def test_the_export_json_gives_a_clean_lap_with_metadata(hungary_laps, nor):
    lap = hungary_laps["NOR"]
    assert lap.meta.driver == "NOR" and lap.meta.lap_number == 17 and lap.meta.year == 2024
    assert lap.meta.lap_time == pytest.approx(75.227)
    assert lap.channels == ["Speed", "RPM", "nGear", "Throttle", "Brake", "DRS"]
    data = lap.data
    first = pd.to_timedelta(nor.Time.iloc[0]).total_seconds()
    assert data.Time.iloc[0] == pytest.approx(first) and data.Time.is_monotonic_increasing
    assert set(data.Brake.unique()) <= {0, 1} and data.nGear.dtype == np.int64
    # X/Y come from the position data, Distance from integrating speed (about one lap of 4.38 km)
    assert {"X", "Y", "Z", "Distance"} <= set(data.columns)
    assert 4200 < data.Distance.iloc[-1] < 4500
    assert not lap.meta.notes


@pytest.mark.parametrize("time_as", ["timedelta-string", "seconds"])
@pytest.mark.parametrize("brake_as", ["bool", "0/100", "0/1"])
def test_csv_exports(tmp_path, nor, hungary_laps, time_as, brake_as):
    frame = nor.copy()
    if time_as == "seconds":
        frame["Time"] = pd.to_timedelta(frame.Time).dt.total_seconds()
    frame["Brake"] = {"bool": frame.Brake > 0, "0/100": frame.Brake * 100, "0/1": frame.Brake}[
        brake_as
    ]
    path = tmp_path / "lap.csv"
    frame.to_csv(path)  # with the index column, as DataFrame.to_csv() writes it
    (lap,) = read_laps(path)
    _same_lap(lap, hungary_laps["NOR"])


def test_session_time_alone_is_enough(tmp_path, nor, hungary_laps):
    frame = nor.drop(columns=["Time"])
    path = tmp_path / "lap.csv"
    frame.to_csv(path, index=False)
    (lap,) = read_laps(path)
    offset = hungary_laps["NOR"].data.Time.iloc[0]
    np.testing.assert_allclose(lap.data.Time + offset, hungary_laps["NOR"].data.Time, atol=1e-6)


def test_parquet_with_timedelta_columns(tmp_path, nor, hungary_laps):
    frame = nor.assign(Time=pd.to_timedelta(nor.Time), SessionTime=pd.to_timedelta(nor.SessionTime))
    path = tmp_path / "lap.parquet"
    frame.drop(columns=["Date"]).to_parquet(path)
    _same_lap(read_laps(path)[0], hungary_laps["NOR"])


@pytest.mark.parametrize("orient", ["records", "columns", "split", "table"])
def test_json_orients(tmp_path, nor, hungary_laps, orient):
    frame = nor.assign(Time=pd.to_timedelta(nor.Time).dt.total_seconds()).drop(columns=["Date"])
    path = tmp_path / "lap.json"
    frame.drop(columns=["SessionTime"]).to_json(path, orient=orient)
    _same_lap(read_laps(path)[0], hungary_laps["NOR"])


def test_many_laps_with_driver_and_lap_number(tmp_path, hungary_laps):
    laps = [hungary_laps[d] for d in ("ALB", "HAM", "NOR")]
    for suffix in (".csv", ".parquet", ".json"):
        path = write_laps(laps, tmp_path / f"laps{suffix}")
        back = read_laps(path)
        assert [(x.meta.driver, x.meta.lap_number) for x in back] == [
            (x.meta.driver, x.meta.lap_number) for x in laps
        ]
        for got, want in zip(back, laps, strict=True):
            _same_lap(got, want)
        assert [x.meta.driver for x in read_laps(path, drivers=["ham"])] == ["HAM"]
        assert [x.meta.driver for x in read_laps(path, drivers="nor,alb")] == ["ALB", "NOR"]
        assert len(as_laps(laps_frame(laps), drivers="ham, nor")) == 2
        assert [x.meta.lap_number for x in read_laps(path, laps="17")] == [17]
        fastest = read_laps(path, laps="fastest")
        assert len(fastest) == 3


def test_the_real_race_file(race_laps):
    assert len(race_laps) == 224
    drivers = sorted({lap.meta.driver for lap in race_laps})
    assert drivers == ["NOR", "PIA", "RUS", "VER"]
    lap = next(x for x in race_laps if x.meta.driver == "VER" and x.meta.lap_number == 10)
    assert {"Distance", "X", "Y", "Z"} <= set(lap.data.columns)
    assert set(lap.data.Brake.unique()) <= {0, 1} and set(lap.data.DRS.unique()) <= {0, 12}
    assert 90 < lap.meta.lap_time < 110
    assert 7 < (len(lap) - 1) / (lap.data.Time.iloc[-1] - lap.data.Time.iloc[0]) < 8.5


def test_selection_errors_name_what_exists(race_file):
    with pytest.raises(
        TelecnnError, match="driver HAM not in race.parquet: have NOR, PIA, RUS, VER"
    ):
        read_laps(race_file, drivers="HAM")
    with pytest.raises(TelecnnError, match="lap 80 not in race.parquet: laps 1-56"):
        read_laps(race_file, laps=80)
    with pytest.raises(TelecnnError, match="bad lap selection"):
        read_laps(race_file, laps="first")


def test_file_errors(tmp_path):
    with pytest.raises(DataNotFoundError):
        read_laps(tmp_path / "missing.csv")
    (tmp_path / "lap.txt").write_text("x")
    with pytest.raises(TelecnnError, match="lap.txt: not a telemetry format telecnn knows"):
        read_laps(tmp_path / "lap.txt")
    (tmp_path / "bad.json").write_text("{not json")
    with pytest.raises(TelecnnError, match="not valid JSON"):
        read_laps(tmp_path / "bad.json")
    (tmp_path / "other.csv").write_text("a,b\n1,2\n3,4\n")
    with pytest.raises(TelecnnError, match="no recognisable telemetry columns"):
        read_laps(tmp_path / "other.csv")
    (tmp_path / "empty.csv").write_text("Time,Speed\n")
    with pytest.raises(TelecnnError, match="empty lap"):
        read_laps(tmp_path / "empty.csv")
    (tmp_path / "broken.parquet").write_bytes(b"PAR1 not really")
    with pytest.raises(TelecnnError, match="cannot read broken.parquet"):
        read_laps(tmp_path / "broken.parquet")


def test_as_lap_and_load_laps_front_doors(tmp_path, nor, hungary_dir):
    lap = as_lap(nor)
    assert len(lap) == len(nor) and lap.meta.source == "dataframe"
    assert as_lap(lap) is lap
    assert as_lap(hungary_dir / "HAM.json").meta.driver == "HAM"
    multi = pd.concat(
        [nor.assign(Driver="NOR", LapNumber=1), nor.assign(Driver="NOR", LapNumber=2)]
    )
    assert [x.meta.lap_number for x in as_laps(multi)] == [1, 2]
    with pytest.raises(TelecnnError, match="cannot read a lap from int"):
        as_lap(3)
    with pytest.raises(TelecnnError, match="exactly one source"):
        load_laps()
    with pytest.raises(TelecnnError, match="exactly one source"):
        load_laps(files=[hungary_dir / "HAM.json"], sim="monza")
    both = load_laps(files=[hungary_dir / "HAM.json", hungary_dir / "NOR.json"])
    assert [x.meta.driver for x in both] == ["HAM", "NOR"]
    sims = load_laps(sim="monaco", sim_laps=2, seed=4)
    assert [x.meta.lap_number for x in sims] == [1, 2]
    assert load_laps(sim="monaco", laps="2", seed=4)[0].data.equals(sims[1].data)
    picked = load_laps(sim="monaco", laps="2-3,6", seed=4)
    assert [x.meta.lap_number for x in picked] == [2, 3, 6]
    assert picked[0].data.equals(sims[1].data)
    fastest = load_laps(sim="monaco", sim_laps=2, laps="fastest", seed=4)
    assert fastest[0].meta.lap_time == min(x.meta.lap_time for x in sims)
    path = tmp_path / "lap.json"
    path.write_text(json.dumps({"telemetry": {"Time": [], "Speed": []}}))
    with pytest.raises(TelecnnError, match="empty lap"):
        read_laps(path)


def test_multi_lap_frame_timed_by_session_time_starts_each_lap_at_zero(hungary_laps):
    """Without Time, each lap's seconds count from its own first SessionTime sample."""
    laps = [hungary_laps[d] for d in ("ALB", "HAM")]
    frame = laps_frame(laps)
    offsets = frame["Driver"].map({"ALB": 1000.0, "HAM": 1100.0})
    frame["SessionTime"] = pd.to_timedelta(frame["Time"] + offsets, unit="s").astype(str)
    back = as_laps(frame.drop(columns="Time"))
    assert [x.meta.driver for x in back] == ["ALB", "HAM"]
    for got, want in zip(back, laps, strict=True):
        expected = want.data["Time"] - want.data["Time"].iloc[0]
        np.testing.assert_allclose(got.data["Time"], expected, atol=1e-6)


@pytest.mark.parametrize("column", ["Time", "SessionTime"])
def test_clock_times_in_whole_seconds_read_from_csv(tmp_path, column) -> None:
    """``00:00:01``-style times (which pyarrow's CSV parser reads as clock times) are seconds:
    ``Time`` as it is, ``SessionTime`` from each lap's first sample."""
    hour = "00" if column == "Time" else "01"
    rows = ["Driver,LapNumber," + column + ",Speed,Throttle,Brake"]
    rows += [
        f"VER,{1 + k // 4},{hour}:00:{k % 4 + 4 * (column != 'Time') * (k // 4):02d},{100 + k},60,0"
        for k in range(8)
    ]
    path = tmp_path / "laps.csv"
    path.write_text("\n".join(rows) + "\n")
    laps = read_laps(path)
    assert [lap.meta.lap_number for lap in laps] == [1, 2]
    for lap in laps:
        np.testing.assert_array_equal(lap.times, [0.0, 1.0, 2.0, 3.0])


def test_csv_reads_as_pandas_reads_it(tmp_path, race_file) -> None:
    """pyarrow's parser, handed over as pandas' would read the file: column names (a nameless
    index column, repeated names), types, missing cells (NA, empty text) and values."""
    from telecnn.telemetry.sources.files import read_csv

    frame = pd.read_parquet(race_file).head(2000)
    frame["Time"] = frame["Time"].dt.total_seconds()
    frame.loc[5, "Driver"] = None
    frame.loc[7, "Speed"] = np.nan
    path = tmp_path / "laps.csv"
    frame.to_csv(path)  # with its index, as DataFrame.to_csv() writes it
    pd.testing.assert_frame_equal(read_csv(path), pd.read_csv(path))
    repeated = tmp_path / "repeated.csv"
    repeated.write_text("Time,Speed,Speed\n0.0,100,1\n0.1,110,2\n")
    assert list(read_csv(repeated).columns) == ["Time", "Speed", "Speed.1"]


def test_the_multi_lap_frame_is_every_lap_with_its_keys(race_laps, hungary_laps) -> None:
    """laps_frame lays laps end to end as arrays; it equals each lap's own frame with Driver
    and LapNumber in front, concatenated, for laps alike and laps whose columns differ."""
    from telecnn.telemetry.simulate import simulate_laps

    def by_hand(laps):
        frames = [
            lap.data.assign(Driver=lap.meta.driver or "UNK", LapNumber=lap.meta.lap_number)[
                ["Driver", "LapNumber", *lap.data.columns]
            ]
            for lap in laps
        ]
        return pd.concat(frames, ignore_index=True)

    sim = simulate_laps("monza", 8, seed=3, feed="merged")
    for laps in (race_laps[:30], sim, race_laps[:2] + list(hungary_laps.values())[:2] + sim[:2]):
        pd.testing.assert_frame_equal(laps_frame(laps), by_hand(laps))
