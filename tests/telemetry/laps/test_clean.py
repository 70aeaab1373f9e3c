"""Normalising frames: times, sorting, duplicates, NaN gaps, missing channels and bad input."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from telecnn.errors import TelecnnError
from telecnn.telemetry.laps.axes import distance_from_speed
from telecnn.telemetry.laps.clean import clean_lap, merge_position


@pytest.fixture
def real(hungary_laps) -> pd.DataFrame:
    return (
        hungary_laps["HAM"]
        .data[["Time", "Speed", "RPM", "nGear", "Throttle", "Brake", "DRS"]]
        .copy()
    )


def test_unsorted_rows_are_sorted_with_a_note(real):
    shuffled = real.sample(frac=1.0, random_state=3)
    lap = clean_lap(shuffled)
    np.testing.assert_array_equal(lap.data.Speed, real.Speed)
    assert any("out-of-order" in n for n in lap.meta.notes)
    with pytest.raises(TelecnnError, match="not sorted"):
        clean_lap(shuffled, strict=True)


def test_duplicate_times_keep_the_first_sample(real):
    doubled = pd.concat([real, real.iloc[10:20].assign(Speed=0.0)]).sort_values(
        "Time", kind="stable"
    )
    lap = clean_lap(doubled)
    np.testing.assert_array_equal(lap.data.Speed, real.Speed)
    assert any("10 duplicate times" in n for n in lap.meta.notes)
    with pytest.raises(TelecnnError, match="duplicate times"):
        clean_lap(doubled, strict=True)


def test_times_that_reset_mean_several_laps(real):
    two = pd.concat([real, real])
    with pytest.raises(TelecnnError, match="several laps in one frame"):
        clean_lap(two)


def test_a_lap_whose_time_never_advances_is_rejected(real):
    with pytest.raises(TelecnnError, match="at least two samples"):
        clean_lap(real.assign(Time=5.0))


def test_short_gaps_are_interpolated_by_channel_kind(real):
    holed = real.copy()
    holed.loc[50:51, ["Speed", "nGear"]] = np.nan
    lap = clean_lap(holed)
    t = real.Time.to_numpy()
    expected = np.interp(t[50:52], t[[49, 52]], real.Speed.to_numpy()[[49, 52]])
    np.testing.assert_allclose(lap.data.Speed.to_numpy()[50:52], expected)
    assert (lap.data.nGear.to_numpy()[50:52] == real.nGear.iloc[49]).all()  # previous value held
    assert not lap.meta.notes


def test_long_gaps_are_filled_and_reported(real):
    holed = real.copy()
    holed.loc[100:120, "RPM"] = np.nan
    lap = clean_lap(holed)
    assert not lap.data.RPM.isna().any()
    assert any(n.startswith("RPM:") and "NaN gap" in n for n in lap.meta.notes)


def test_all_nan_and_missing_channels_are_dropped_and_reported(real):
    lap = clean_lap(real.assign(DRS=np.nan).drop(columns=["RPM"]))
    assert "DRS" not in lap.data and "RPM" not in lap.data
    assert "DRS is all NaN: dropped" in lap.meta.notes
    assert "missing channels: RPM, DRS" in lap.meta.notes
    with pytest.raises(TelecnnError, match="no usable channels"):
        clean_lap(real.assign(**{c: np.nan for c in real.columns if c != "Time"}))


def test_a_text_channel_is_a_format_error_but_a_few_bad_cells_are_gaps(real):
    with pytest.raises(TelecnnError, match="column Speed holds no numbers \\(e.g. 'fast'\\)"):
        clean_lap(real.assign(Speed="fast"))
    speckled = real.astype({"Speed": object})
    speckled.loc[[40, 41], "Speed"] = "n/a"
    lap = clean_lap(speckled)
    assert not lap.data.Speed.isna().any()
    low, high = sorted(real.Speed.iloc[[39, 42]])
    assert low <= lap.data.Speed.iloc[40] <= high  # interpolated across the gap


def test_bad_input(real):
    with pytest.raises(TelecnnError, match="empty lap"):
        clean_lap(real.iloc[:0])
    with pytest.raises(TelecnnError, match="no time column"):
        clean_lap(real.drop(columns=["Time"]))
    with pytest.raises(TelecnnError, match="no recognisable telemetry columns"):
        clean_lap(pd.DataFrame({"Time": [0.0, 1.0], "foo": [1, 2]}))
    with pytest.raises(TelecnnError, match="cannot read Time"):
        clean_lap(real.assign(Time="soon"))
    with pytest.raises(TelecnnError, match="expected a DataFrame"):
        clean_lap([1, 2, 3])


def test_column_names_are_matched_without_case_and_distance_is_integrated(real):
    lap = clean_lap(real.rename(columns={"Speed": "speed", "nGear": "NGEAR"}))
    assert {"Speed", "nGear", "Distance"} <= set(lap.data.columns)
    assert lap.data.Distance.iloc[0] == 0.0
    d = distance_from_speed(np.array([0.0, 1.0, 2.0]), np.array([36.0, 72.0, 72.0]))
    np.testing.assert_allclose(d, [0.0, 15.0, 35.0])


def test_position_is_merged_on_session_time_even_when_the_feeds_start_apart():
    """Car and position samples start at different session times; X must line up in time."""
    car_t = 100.0 + np.arange(0.0, 10.0, 0.27)
    pos_t = 99.93 + np.arange(0.0, 10.5, 0.22)
    car = pd.DataFrame({"SessionTime": pd.to_timedelta(car_t, unit="s"), "Speed": 200.0})
    pos = pd.DataFrame(
        {
            "SessionTime": pd.to_timedelta(pos_t, unit="s").astype(str),  # as exported
            "X": 3.0 * pos_t,
            "Y": -pos_t,
            "Z": np.nan,
        }
    )
    merged = merge_position(car, pos)
    np.testing.assert_allclose(merged["X"], 3.0 * car_t)
    np.testing.assert_allclose(merged["Y"], -car_t)
    assert "Z" not in merged  # no finite value to interpolate
    assert merge_position(car, pos.drop(columns="Y")) is car  # no track position to merge
