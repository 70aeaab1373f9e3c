"""Training targets and their weights: short energy runs, labelled or not, weigh more."""

from __future__ import annotations

import numpy as np
import pandas as pd

from telecnn.telemetry.detector.examples import (
    BOUNDARY_WEIGHT,
    boundary_weights,
    make_examples,
)
from telecnn.telemetry.detector.features import Normalisation
from telecnn.telemetry.events.rules import rule_events
from telecnn.telemetry.laps.grid import lap_grid
from telecnn.telemetry.laps.schema import CHANNELS, EVENT_TYPES, Lap
from telecnn.telemetry.simulate import simulate_laps

LIFT = EVENT_TYPES.index("lift_coast")


def _coasts(*lengths: int) -> Lap:
    """An 8 Hz trace (times exact in binary) at 250 km/h, flat out, with throttle-off stretches
    of ``lengths`` samples (brake off), 30 samples apart."""
    throttle = [100.0] * 20
    for n in lengths:
        throttle += [0.0] * n + [100.0] * 30
    t = np.arange(len(throttle)) * 0.125
    frame = pd.DataFrame(
        {
            "Time": t,
            "Distance": t * 70.0,
            "Speed": 250.0 + 0.5 * np.arange(len(t)),  # rising 4 km/h a second: no clipping
            "Throttle": throttle,
            "Brake": False,
            "nGear": 8,
        }
    )
    return Lap(frame)


def test_short_condition_runs_weigh_more_whether_or_not_they_are_events() -> None:
    # 4 samples span 0.375 s (not a lift), 7 span 0.75 s (a lift), 30 span 3.6 s (a long one)
    lap = _coasts(4, 7, 30)
    spans = rule_events(lap.data).query("event == 'lift_coast'")
    assert np.round((spans.end_time - spans.start_time).to_numpy(), 2).tolist() == [0.75, 3.62]
    grid = lap_grid(lap.times, 8.0)  # one grid point per sample
    assert np.array_equal(grid, lap.times)
    w = boundary_weights(lap, grid)
    heavy = np.flatnonzero(w[LIFT] == BOUNDARY_WEIGHT)
    first, second = 20, 20 + 4 + 30
    assert heavy.tolist() == list(range(first, first + 4)) + list(range(second, second + 7))
    assert set(np.unique(w[LIFT])) == {1.0, BOUNDARY_WEIGHT}
    others = np.delete(w, LIFT, axis=0)
    assert (others == 1.0).all()  # nothing clips, and the other types keep their weight


def test_laps_without_the_rule_channels_keep_plain_weights() -> None:
    lap = Lap(_coasts(7).data.drop(columns=["Throttle"]))
    assert (boundary_weights(lap, lap_grid(lap.times, 10.0)) == 1.0).all()


def test_examples_carry_the_weights_beside_the_targets() -> None:
    laps = simulate_laps("monza", 2, seed=3, era="2026")
    norm = Normalisation.fit([lap.data for lap in laps], CHANNELS)
    ex = make_examples(laps, norm, 10.0)
    e = len(EVENT_TYPES)
    weights = ex.y[e:]
    lap_w = weights[:, ex.offsets[0] : ex.offsets[0] + ex.lengths[0]]
    grid = lap_grid(laps[0].times, 10.0)
    assert np.array_equal(lap_w, boundary_weights(laps[0], grid))
    assert (weights[LIFT] == BOUNDARY_WEIGHT).any() or (
        weights[EVENT_TYPES.index("clipping")] == BOUNDARY_WEIGHT
    ).any()
