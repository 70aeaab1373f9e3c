"""The shipped default detector on REAL laps it never saw (labels: the rules on all channels).

It learnt from the 2025 Australian GP's three sessions and simulated laps; these are the other
sets of ../shared. Bounds: on all the 2024/2025 laps braking, DRS, lift-and-coast and clipping
with all channels, and braking with Speed alone (beating the speed-only rule baseline; each
feed on its own at least 0.90 with all channels and 0.80 with Speed); on the 2026 test day
(cars without DRS) braking, shifts, clipping and lift-and-coast through all channels and the
reduced feeds users read, and at most one DRS detection per 200 laps. The issue's targets,
and where they are not met, are in ``bench/events.json``.
"""

from __future__ import annotations

import pytest

from telecnn.telemetry.detector import default_model_path, load_detector
from telecnn.telemetry.detector.running import detect_laps
from telecnn.telemetry.detector.scoring import evaluate_laps
from telecnn.telemetry.events.rules import rule_events
from telecnn.telemetry.simulate import simulate_laps
from telecnn.telemetry.sources import read_laps
from telecnn.training import load_checkpoint

#: F1 bounds on the 2026 test day (all 335 laps: out-, in- and garage laps too).
TEST_DAY_BOUNDS = {
    "braking": 0.97,
    "upshift": 0.98,
    "downshift": 0.95,
    "clipping": 0.85,
    "lift_coast": 0.80,
}
#: F1 bounds with all channels on the 2024 qualifying and 2025 race laps (all of them).
OLD_CARS_BOUNDS = {"braking": 0.98, "drs": 0.98, "lift_coast": 0.80, "clipping": 0.80}


@pytest.fixture(scope="module")
def real_laps(quali_laps, china_laps):
    return quali_laps + china_laps


@pytest.fixture(scope="module")
def detector():
    return load_detector()


def test_shipped_model_is_small_and_learnt_from_the_australian_gp_only() -> None:
    path = default_model_path()
    assert path.stat().st_size < 5 * 1024 * 1024
    state = load_checkpoint(path, kind="event-detector")
    assert "2025 Australian GP" in state["extra"]["training"]["data"]
    assert state["extra"]["channels"] == ["Speed", "RPM", "nGear", "Throttle", "Brake", "DRS"]
    assert "optimizer_state" not in state
    card = load_detector().card  # the folded file the CLI reads carries the same card
    assert card == state["extra"]["card"]
    assert set(card["real_sources"]) == {"practice1.parquet", "qualifying.parquet", "race.parquet"}
    assert card["real_laps"] > 1000 and card["real_held_out"] > 100
    assert card["validation"]["real"]["braking"] >= 0.95


def test_all_channels_meet_braking_and_drs_bounds(detector, real_laps) -> None:
    scores = evaluate_laps(real_laps, detector)
    assert scores["braking"].tp + scores["braking"].fn > 300  # the test has real substance
    assert scores["drs"].tp + scores["drs"].fn >= 30
    assert scores["braking"].f1 >= 0.90, scores["braking"].to_dict()
    assert scores["drs"].f1 >= 0.90, scores["drs"].to_dict()


@pytest.mark.parametrize("which", ["quali_laps", "china_laps"])
def test_both_feeds_meet_the_bounds_on_their_own(detector, which, request) -> None:
    laps = request.getfixturevalue(which)
    scores = evaluate_laps(laps, detector)
    assert scores["braking"].f1 >= 0.90 and scores["drs"].f1 >= 0.90


def test_speed_only_on_car_data_meets_the_bound_and_beats_speed_rules(detector, quali_laps) -> None:
    cnn = evaluate_laps(quali_laps, detector, channels=["Speed"])["braking"]
    rules = evaluate_laps(quali_laps, "rules", channels=["Speed"])["braking"]
    assert cnn.f1 >= 0.80, cnn.to_dict()
    assert cnn.f1 > rules.f1 + 0.3, (cnn.to_dict(), rules.to_dict())


def test_speed_only_on_race_laps_beats_speed_rules(detector, china_laps) -> None:
    cnn = evaluate_laps(china_laps, detector, channels=["Speed"])["braking"]
    rules = evaluate_laps(china_laps, "rules", channels=["Speed"])["braking"]
    assert cnn.f1 > rules.f1 + 0.3, (cnn.to_dict(), rules.to_dict())


def test_cnn_zones_read_entry_speeds_where_the_rules_do(detector, china_laps) -> None:
    """Merged telemetry: a CNN braking zone that begins where the rule's does has the rule's
    entry speed, read at the last measured (car-data) sample, not at an interpolated one."""
    found = detect_laps(china_laps, detector)
    same = 0
    for lap, events in zip(china_laps, found, strict=True):
        mine = events[events.event == "braking"].set_index("start_time").entry_speed
        rules = rule_events(lap).query("event == 'braking'").set_index("start_time").entry_speed
        both = mine.index.intersection(rules.index)
        assert (mine[both] == rules[both]).all()
        same += len(both)
    assert same > 300


def test_speed_only_meets_the_bound_on_all_real_laps(detector, quali_laps, f1_data) -> None:
    # the whole race, not the fixture's every-5th-lap subset: the bound is on all real laps
    race = read_laps(f1_data / "china-2025-r" / "race.parquet")
    cnn = evaluate_laps(quali_laps + race, detector, channels=["Speed"])["braking"]
    assert cnn.f1 >= 0.82, cnn.to_dict()


def test_only_the_simulator_labels_wheelspin_and_lockup(detector, quali_laps) -> None:
    """Real laps carry no wheelspin or lock-up labels: scoring them there would count every
    detection as a false positive, so they are scored on simulated laps only."""
    real = evaluate_laps(quali_laps, detector)
    assert "braking" in real and not {"wheelspin", "lockup"} & set(real)
    sim = evaluate_laps(simulate_laps("monza", 6, seed=9, mode="race"), detector)
    assert {"wheelspin", "lockup"} <= set(sim)


@pytest.fixture(scope="module")
def test_day_scores(detector, bahrain_laps):
    return evaluate_laps(bahrain_laps, detector)


def test_no_drs_on_cars_without_it(detector, bahrain_laps, test_day_scores) -> None:
    """2026 cars: the DRS channel reads 0 throughout, and no detector reports an opening."""
    assert len(bahrain_laps) == 335
    drs = test_day_scores.get("drs")
    assert drs is None or drs.tp + drs.fp <= len(bahrain_laps) / 200
    found = detect_laps(bahrain_laps[:40], detector, channels=["DRS"])
    assert not any(len(events) for events in found)


@pytest.mark.parametrize(("event", "least"), TEST_DAY_BOUNDS.items())
def test_2026_test_day_meets_the_bounds(test_day_scores, event, least) -> None:
    score = test_day_scores[event]
    assert score.tp + score.fn >= 300, score.to_dict()  # real substance: hundreds of events
    assert score.f1 >= least, score.to_dict()


@pytest.fixture(scope="module")
def older_scores(detector, quali_laps, f1_data):
    race = read_laps(f1_data / "china-2025-r" / "race.parquet")
    return evaluate_laps(quali_laps + race, detector)


@pytest.mark.parametrize(("event", "least"), OLD_CARS_BOUNDS.items())
def test_older_cars_meet_the_bounds(older_scores, event, least) -> None:
    score = older_scores[event]
    assert score.tp + score.fn >= (70 if event == "drs" else 200), score.to_dict()
    assert score.f1 >= least, score.to_dict()


#: F1 bounds on the 2026 test day through the reduced feeds users read: feed -> type -> least.
TEST_DAY_FEED_BOUNDS = {
    "Speed": {"braking": 0.90},
    "Speed,Throttle": {"braking": 0.90, "lift_coast": 0.70, "clipping": 0.85},
    "Speed,RPM,nGear": {"braking": 0.90, "upshift": 0.97, "downshift": 0.97},
}


@pytest.mark.parametrize("feed", TEST_DAY_FEED_BOUNDS)
def test_2026_test_day_through_reduced_feeds(detector, bahrain_laps, feed) -> None:
    """The real laps it learnt from went through these feeds too: the test day's laps through
    each, the types the feed shows."""
    scores = evaluate_laps(bahrain_laps, detector, channels=feed.split(","))
    for event, least in TEST_DAY_FEED_BOUNDS[feed].items():
        score = scores[event]
        assert score.tp + score.fn >= 300, (event, score.to_dict())
        assert score.f1 >= least, (event, score.to_dict())
    assert "drs" not in scores and ("lift_coast" in scores) == ("Throttle" in feed)
