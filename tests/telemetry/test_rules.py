"""The rule detector on hand-made traces (exact semantics) and real laps (hand-checked counts)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from telecnn.telemetry.rules import rule_events, speed_kmh, speed_rule_events
from telecnn.telemetry.schema import CHANNELS, EVENT_TYPES, supported_events


def _lap(**cols) -> pd.DataFrame:
    n = len(next(iter(cols.values())))
    base = {"Time": np.arange(n) * 0.25, "Distance": np.arange(n) * 20.0}
    return pd.DataFrame({**base, **cols})


def test_supported_events_follow_the_channels_that_show_them():
    assert supported_events(CHANNELS) == EVENT_TYPES
    assert supported_events(["Speed"]) == ("braking",)
    assert supported_events(["Brake"]) == ("braking",)
    assert supported_events(["RPM", "Speed"]) == (
        "braking",
        "upshift",
        "downshift",
        "wheelspin",
        "lockup",
    )
    assert supported_events(["Throttle", "Speed", "DRS"]) == ("braking", "lift_coast", "drs")
    assert supported_events([]) == ()


def test_braking_drs_and_lift_rules_on_a_hand_made_trace():
    frame = _lap(
        Speed=[300, 290, 200, 120, 130, 200, 250, 240, 230, 140, 100, 150],
        Throttle=[100, 0, 0, 0, 30, 100, 5, 0, 4, 0, 100, 100],
        Brake=[0, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0],
        DRS=[12, 12, 8, 8, 8, 10, 14, 8, 8, 8, 12, 8],
        nGear=[8, 8, 6, 4, 4, 5, 6, 6, 6, 5, 5, 6],
        RPM=np.full(12, 10000.0),
    )
    ev = rule_events(frame)
    braking = ev[ev.event == "braking"]
    assert braking[["start_time", "end_time"]].values.tolist() == [[0.25, 0.5]]
    assert braking.entry_speed.tolist() == [290] and braking.min_speed.tolist() == [200]
    drs = ev[ev.event == "drs"]
    assert drs[["start_time", "end_time"]].values.tolist() == [[0.0, 0.25], [1.25, 1.5], [2.5, 2.5]]
    lift = ev[ev.event == "lift_coast"]  # samples 6-8: throttle < 10, no brake, >= 150 km/h
    assert lift[["start_time", "end_time"]].values.tolist() == [[1.5, 2.0]]
    assert ev[ev.event == "upshift"].start_time.tolist() == [1.25, 1.5, 2.75]
    down = ev[ev.event == "downshift"]
    assert down.start_time.tolist() == [0.5, 0.75, 2.25]
    assert (down.start_time == down.end_time).all()
    assert down[["from_gear", "to_gear"]].values.tolist() == [[8, 6], [6, 4], [6, 5]]
    assert ev.start_time.is_monotonic_increasing


def test_a_single_lift_sample_is_not_a_lift_and_low_speed_coasting_is_ignored():
    frame = _lap(
        Speed=[200, 200, 200, 140, 140, 140],
        Throttle=[100, 0, 100, 0, 0, 0],
        Brake=[0, 0, 0, 0, 0, 0],
    )
    assert (rule_events(frame).event == "lift_coast").sum() == 0


def test_missing_channels_skip_their_rules():
    frame = _lap(Speed=[100, 120, 140], nGear=[3, 4, 4])
    assert set(rule_events(frame).event) == {"upshift"}


# Counted by eye once from the channel plots of these laps (braking zones = red runs of Brake,
# DRS openings, lift-and-coast stretches, shifts) and checked against the rules' output.
HAND_COUNTS = {
    "NOR": {"braking": 8, "drs": 3, "lift_coast": 3, "upshift": 22, "downshift": 14},
    "HAM": {"braking": 11, "drs": 3, "lift_coast": 0, "upshift": 22, "downshift": 15},
    "OCO": {"braking": 13, "drs": 3, "lift_coast": 0, "upshift": 23, "downshift": 17},
}


@pytest.mark.parametrize("driver", sorted(HAND_COUNTS))
def test_rules_match_hand_counts_on_real_qualifying_laps(hungary_laps, driver):
    ev = rule_events(hungary_laps[driver])
    counts = ev.event.value_counts().to_dict()
    assert {k: counts.get(k, 0) for k in HAND_COUNTS[driver]} == HAND_COUNTS[driver]


def test_braking_events_on_a_real_lap_are_exact_brake_runs(hungary_laps):
    lap = hungary_laps["NOR"]
    data = lap.data
    ev = rule_events(lap)
    first = ev[ev.event == "braking"].iloc[0]
    inside = data[(data.Time >= first.start_time) & (data.Time <= first.end_time)]
    assert (inside.Brake == 1).all()
    before = data[data.Time < first.start_time].iloc[-1]
    after = data[data.Time > first.end_time].iloc[0]
    assert before.Brake == 0 and after.Brake == 0
    assert first.entry_speed == inside.Speed.iloc[0] and first.min_speed == inside.Speed.min()
    # the main straight ends in the lap's hardest stop: from about 270 to about 110 km/h
    assert first.entry_speed > 250 and first.min_speed < 130


def test_speed_only_baseline_finds_nearly_every_major_stop(hungary_laps):
    total = found_total = 0
    for lap in hungary_laps.values():
        truth = rule_events(lap)
        truth = truth[(truth.event == "braking") & (truth.entry_speed - truth.min_speed >= 50)]
        found = speed_rule_events(lap)
        assert set(found.event) == {"braking"}
        hits = sum(
            (
                (found.start_time <= row.end_time + 0.3) & (found.end_time >= row.start_time - 0.3)
            ).any()
            for row in truth.itertuples()
        )
        total += len(truth)
        found_total += hits
    # 66 stops of at least 50 km/h on the ten laps; a gentle one (1.4 g average) is missed
    assert total >= 60 and found_total >= 0.95 * total


def test_speed_only_baseline_works_from_position_alone(hungary_laps):
    lap = hungary_laps["LEC"]
    pos_only = lap.data[["Time", "Distance"]]
    derived = speed_kmh(pos_only)
    assert np.median(np.abs(derived - lap.data.Speed.to_numpy())) < 10
    assert len(speed_rule_events(pos_only)) >= 5
