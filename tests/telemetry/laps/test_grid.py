"""Resampling onto a uniform grid, and per-sample masks from events."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from telecnn.errors import TelecnnError
from telecnn.telemetry.events.rules import rule_events
from telecnn.telemetry.events.table import event_masks
from telecnn.telemetry.laps.grid import grid_times, lap_grid, resample_frame


def to_grid(data: pd.DataFrame, hz: float) -> pd.DataFrame:
    return resample_frame(data, lap_grid(data["Time"].to_numpy(dtype=float), hz))


def test_continuous_channels_interpolate_and_discrete_ones_hold():
    data = pd.DataFrame(
        {
            "Time": [0.0, 0.3, 1.0],
            "Speed": [100.0, 130.0, 200.0],
            "nGear": [3, 4, 5],
            "Brake": [1, 0, 0],
            "Source": ["car", "car", "car"],
        }
    )
    grid = to_grid(data, 10)
    np.testing.assert_allclose(grid.Time, np.arange(11) / 10)
    np.testing.assert_allclose(grid.Speed, np.interp(grid.Time, data.Time, data.Speed))
    assert grid.nGear.tolist() == [3, 3, 3, 4, 4, 4, 4, 4, 4, 4, 5]
    assert grid.Brake.tolist()[:4] == [1, 1, 1, 0]
    assert "Source" not in grid


def test_real_lap_on_a_grid_keeps_its_shape(hungary_laps):
    lap = hungary_laps["LEC"]
    grid = to_grid(lap.data, 20)
    assert np.allclose(np.diff(grid.Time), 0.05)
    assert grid.Speed.max() <= lap.data.Speed.max() and grid.Speed.min() >= lap.data.Speed.min()
    assert set(grid.nGear.unique()) <= set(lap.data.nGear.unique())
    # the grid sees the same braking zones as the lap itself
    assert (rule_events(grid).event == "braking").sum() == (
        rule_events(lap).event == "braking"
    ).sum()


def test_grid_errors():
    with pytest.raises(TelecnnError, match="positive"):
        grid_times(0.0, 1.0, 0)
    with pytest.raises(TelecnnError, match="no Time"):
        resample_frame(pd.DataFrame({"Speed": [1.0]}), np.arange(3) / 10)


def test_event_masks_cover_intervals_and_mark_points():
    times = np.arange(10) * 0.5
    events = pd.DataFrame(
        {
            "event": ["braking", "upshift", "braking"],
            "start_time": [1.0, 2.2, 4.0],
            "end_time": [2.0, 2.2, 4.0],
        }
    )
    masks = event_masks(events, times, ("braking", "upshift", "drs"))
    assert np.flatnonzero(masks[0]).tolist() == [2, 3, 4, 8]
    assert np.flatnonzero(masks[1]).tolist() == [4]  # 2.2 s is nearest to 2.0 s
    assert not masks[2].any()
