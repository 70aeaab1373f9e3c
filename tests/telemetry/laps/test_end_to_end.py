"""Laps laid end to end give each lap the events it has alone: the rules, the rule baseline on
channel subsets and the standstill rule, on real laps of every feed and on simulated ones."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from telecnn.telemetry.detector.baseline import rule_detect_laps
from telecnn.telemetry.events.rules import rule_events, rule_events_laps
from telecnn.telemetry.laps.end_to_end import groups
from telecnn.telemetry.laps.schema import Lap
from telecnn.telemetry.simulate import simulate_laps


@pytest.fixture(scope="module")
def mixed_laps(race_laps, bahrain_laps, hungary_laps) -> list[Lap]:
    """Real laps of three feeds, simulated ones of both eras, and laps missing a channel
    (no Brake; no DRS), interleaved so that groups of equal columns are not contiguous."""
    real = race_laps[:40] + bahrain_laps[:40] + list(hungary_laps.values())
    sim = simulate_laps("barcelona", 6, seed=3, era="2026") + simulate_laps("monza", 6, seed=4)
    cut = [
        Lap(lap.data.drop(columns=[name]), lap.meta)
        for lap, name in zip(race_laps[40:46], ["Brake", "DRS"] * 3, strict=True)
    ]
    laps = real + sim + cut
    rng = np.random.default_rng(0)
    return [laps[i] for i in rng.permutation(len(laps))]


def test_the_rules_on_a_race_at_once_equal_the_rules_lap_by_lap(mixed_laps) -> None:
    batched = rule_events_laps(mixed_laps)
    assert len(batched) == len(mixed_laps)
    standing = 0
    for lap, events in zip(mixed_laps, batched, strict=True):
        alone = rule_events(lap)
        pd.testing.assert_frame_equal(events, alone)
        standing += not events.equals(rule_events_and_standing(lap))
    assert sum(len(e) for e in batched) > 5000
    assert standing > 0  # the standstill rule cut events on some laps (a race start, pits)


def rule_events_and_standing(lap: Lap) -> pd.DataFrame:
    """The rules' events without the standstill rule (what it drops is what differs)."""
    from telecnn.telemetry.events.rules import rule_parts
    from telecnn.telemetry.events.table import MOVING, events_frame

    return events_frame(*rule_parts({**lap.columns, MOVING: np.ones(len(lap), dtype=bool)}))


@pytest.mark.parametrize("channels", [None, ["Speed"], ["Speed", "Throttle"], ["nGear", "RPM"]])
def test_the_rule_baseline_on_channel_subsets_is_the_same_at_once(mixed_laps, channels) -> None:
    batched = rule_detect_laps(mixed_laps, channels)
    for lap, events in zip(mixed_laps, batched, strict=True):
        pd.testing.assert_frame_equal(events, rule_detect_laps([lap], channels)[0])


def test_braking_seconds_are_the_rules_on_the_moving_samples(race_laps, bahrain_laps) -> None:
    """Standing starts (the China race's lap 1) and minutes in the garage with the brake held
    (the test day): a lap's seconds of braking are the Brake rule's on the moving samples
    alone, laid end to end or lap by lap, and no zone holds a standing sample."""
    from telecnn.telemetry.analysis.tables import seconds_of
    from telecnn.telemetry.events.table import STANDSTILL_KMH, run_bounds

    starts = [lap for lap in race_laps if lap.meta.lap_number == 1]
    stops = [lap for lap in bahrain_laps if (lap.columns["Speed"] < 1).sum() > 100][:30]
    laps = starts + stops
    standing = 0
    for lap, events in zip(laps, rule_events_laps(laps), strict=True):
        t, speed = lap.times, lap.columns["Speed"].astype(float)
        brake = lap.columns["Brake"] > 0
        standing += int((brake & (speed < STANDSTILL_KMH)).sum())
        a, b = run_bounds(brake & (speed >= STANDSTILL_KMH))
        assert seconds_of(events, "braking") == pytest.approx(float((t[b] - t[a]).sum()))
        for row in events[events.event == "braking"].itertuples():
            inside = (t >= row.start_time) & (t <= row.end_time)
            assert speed[inside].min() >= STANDSTILL_KMH, lap.meta.label()
        pd.testing.assert_frame_equal(events, rule_events(lap))
    assert standing > 1000  # the brake is held on the grid and in the garage: none of it counts


def test_groups_keep_first_seen_order() -> None:
    assert groups(["a", "b", "a", "c", "b"]) == {"a": [0, 2], "b": [1, 4], "c": [3]}


@pytest.mark.parametrize("channels", [None, ["Speed"], ["Speed", "Throttle"]])
def test_the_cnn_post_processing_of_a_race_at_once_equals_it_lap_by_lap(
    mixed_laps, channels
) -> None:
    from telecnn.telemetry.detector.running import choose_detector
    from telecnn.telemetry.events.rules import lap_events

    detector = choose_detector("cnn")
    batched = detector.detect_laps(mixed_laps, channels)
    probs = detector.probabilities(mixed_laps, channels)
    for lap, p, events in zip(mixed_laps, probs, batched, strict=True):
        read = detector.channels_for(lap, channels)
        alone = detector.events_from(
            lap, p, detector.thresholds_for(read), lap_events(lap.columns, read), read
        )
        pd.testing.assert_frame_equal(events, alone)
    assert sum(len(e) for e in batched) > (5 if channels else 40) * len(mixed_laps)


def test_a_thousand_simulated_laps_in_one_batch_are_labelled_as_each_alone() -> None:
    """The simulator labels its laps with the rules laid end to end over the whole batch; the
    clipping rule's look-back must not round differently with the batch's length."""
    from telecnn.telemetry.laps.schema import SIM_ONLY_EVENTS

    laps = simulate_laps("monza", 1000, seed=1, batch=1000)
    clipping = 0
    for lap in laps:
        visible = lap.truth[~lap.truth.event.isin(SIM_ONLY_EVENTS)].reset_index(drop=True)
        alone = rule_events(lap)
        pd.testing.assert_frame_equal(visible[alone.columns], alone, check_dtype=False)
        clipping += int((alone.event == "clipping").sum())
    assert clipping > 500


def test_a_lap_is_made_of_a_frame_or_of_columns(race_laps) -> None:
    lap = race_laps[0]
    again = Lap.from_columns(dict(lap.columns), lap.meta)
    assert len(again) == len(lap) and again.channels == lap.channels
    pd.testing.assert_frame_equal(again.data, lap.data)
    with pytest.raises(TypeError):
        Lap(None)
