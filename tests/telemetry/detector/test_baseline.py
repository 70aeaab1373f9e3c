"""The rule baseline on a chosen set of channels."""

from __future__ import annotations

import pandas as pd

from telecnn.telemetry.detector.baseline import rule_detect
from telecnn.telemetry.events.rules import rule_events, speed_rule_events
from telecnn.telemetry.laps.schema import Lap, supported_events


def test_all_channels_give_the_rules_themselves(quali_laps: list[Lap]):
    lap = quali_laps[0]
    pd.testing.assert_frame_equal(rule_detect(lap), rule_events(lap))


def test_speed_alone_is_the_speed_only_baseline(quali_laps: list[Lap]):
    lap = quali_laps[0]
    found = rule_detect(lap, ["Speed"])
    assert set(found["event"]) == {"braking"} == set(supported_events(["Speed"]))
    pd.testing.assert_frame_equal(found, speed_rule_events(lap))


def test_channel_subsets_give_only_the_types_they_show(quali_laps: list[Lap]):
    lap = quali_laps[0]
    gears = rule_detect(lap, ["nGear"])
    assert set(gears["event"]) == {"upshift", "downshift"}
    brake = rule_detect(lap, ["Brake"])  # the exact brake runs, not the speed rule
    expected = rule_events(lap)
    pd.testing.assert_frame_equal(
        brake.reset_index(drop=True),
        expected[expected["event"] == "braking"].reset_index(drop=True)[brake.columns],
    )
    with_speed = rule_detect(lap, ["Speed", "Throttle", "Brake"])
    assert set(with_speed["event"]) <= {"braking", "lift_coast"}
    assert (with_speed["event"] == "braking").sum() == (expected["event"] == "braking").sum()


def test_without_a_speed_channel_speed_comes_from_the_position(quali_laps: list[Lap]):
    lap = quali_laps[0]
    no_speed = lap.data.drop(columns=["Speed"])
    found = rule_detect(Lap(no_speed, lap.meta), ["Speed"])
    assert len(found) > 5
    pd.testing.assert_frame_equal(found, speed_rule_events(no_speed))
