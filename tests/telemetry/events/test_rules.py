"""The rule detector on hand-made traces (exact semantics) and real laps (hand-checked counts)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from telecnn.telemetry.events.rules import rule_events, speed_kmh, speed_rule_events
from telecnn.telemetry.laps.schema import CHANNELS, EVENT_TYPES, supported_events
from telecnn.telemetry.sources import read_laps


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
    assert supported_events(["Throttle", "Speed", "DRS"]) == (
        "braking",
        "lift_coast",
        "clipping",
        "drs",
    )
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
    # entry: the speed at the sample before the pedal went on (between the two samples)
    assert braking.entry_speed.tolist() == [300] and braking.min_speed.tolist() == [200]
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


def _timed(times, **cols) -> pd.DataFrame:
    times = np.asarray(times, dtype=float)
    return pd.DataFrame({"Time": times, "Distance": times * 80.0, **cols})


def _spans(frame: pd.DataFrame, event: str) -> list[list[float]]:
    ev = rule_events(frame)
    return ev.loc[ev.event == event, ["start_time", "end_time"]].round(6).values.tolist()


@pytest.mark.parametrize(("last", "found"), [(0.49, []), (0.5, [[0.0, 0.5]])])
def test_lift_and_coast_needs_half_a_second(last, found):
    """0.5 s between the first and last sample of the run: a handover to the brake is not one."""
    frame = _timed(
        [0.0, 0.2, last, last + 0.2], Speed=[250.0] * 4, Throttle=[0, 0, 0, 0], Brake=[0, 0, 0, 1]
    )
    assert _spans(frame, "lift_coast") == found


def _flat_out(times, speed, throttle=None, brake=None) -> pd.DataFrame:
    n = len(times)
    return _timed(
        times,
        Speed=np.asarray(speed, dtype=float),
        Throttle=np.full(n, 100.0) if throttle is None else np.asarray(throttle, dtype=float),
        Brake=np.zeros(n) if brake is None else np.asarray(brake),
    )


def test_clipping_is_full_throttle_with_the_speed_no_longer_rising():
    # rising 10 km/h per second until 2.0 s, then flat at 300: clipping from the sample whose
    # speed 1.0 s earlier (interpolated) is within 1 km/h: t = 2.9 (1.9 s back: 299)
    t = np.round(np.arange(0, 4.01, 0.1), 6)
    speed = np.minimum(280 + 10 * t, 300.0)
    assert _spans(_flat_out(t, speed), "clipping") == [[2.9, 4.0]]
    ev = rule_events(_flat_out(t, speed))
    row = ev[ev.event == "clipping"].iloc[0]
    assert (row.entry_speed, row.exit_speed, row.speed_lost) == (300.0, 300.0, 0.0)
    # falling speed at full throttle (super clipping) counts from 1.0 s into the lap
    falling = _flat_out(t, 320 - 2 * t)
    assert _spans(falling, "clipping") == [[1.0, 4.0]]
    assert rule_events(falling).query("event == 'clipping'").speed_lost.round(6).tolist() == [6.0]


@pytest.mark.parametrize(
    ("change", "found"),
    [
        ({}, [[1.0, 1.5]]),
        # the sample at 1.0 s is then 0.99 s into the lap: left out, the run is too short
        ({"first": 0.01}, []),
        ({"end": 1.49}, []),  # a span of 0.49 s
        ({"speed": 199.9}, []),  # under 200 km/h
        ({"throttle": 97.9}, []),  # not full throttle
        ({"gain": 1.0}, [[1.0, 1.5]]),  # 1 km/h above the speed 1.0 s earlier: still clipping
        ({"gain": 1.01}, []),  # more: the car still accelerates
        ({"brake": 1}, []),  # a brake dab
    ],
)
def test_clipping_boundaries(change, found):
    """One run that just qualifies (samples at 1.0-1.5 s, the first sample at 0 s, speed
    flat), changed across each boundary of the rule in turn."""
    end = change.get("end", 1.5)
    t = np.array([0.0, 0.5, 1.0, 1.25, end])
    if "first" in change:
        t[0] = change["first"]
    base = change.get("speed", 250.0)
    speed = np.full(len(t), base)
    speed[2:] += change.get("gain", 0.0)  # the look-back reads base: samples 0-1 (t <= 0.5)
    throttle = np.full(len(t), change.get("throttle", 100.0))
    brake = np.zeros(len(t), dtype=int)
    brake[3] = change.get("brake", 0)
    assert _spans(_flat_out(t, speed, throttle, brake), "clipping") == found


@pytest.mark.parametrize(("held", "found"), [(0.99, []), (1.0, [[2.0, 2.5]])])
def test_clipping_needs_full_throttle_held_a_second(held, found):
    """Taxonomy 3: the re-acceleration after a lift is no clipping. The car runs flat out at
    250 km/h, lifts to 50% at 0.5-1.0 s, and is flat out again from ``1.0 + (1.0 - held)`` s:
    its samples from 2.0 s count only where that stretch began 1.0 s before them."""
    t = np.array([0.0, 0.5, 1.0, 1.01, 2.0, 2.25, 2.5])
    t[3] = 2.0 - held
    speed = np.full(len(t), 250.0)
    throttle = np.array([100.0, 50.0, 50.0, 100.0, 100.0, 100.0, 100.0])
    assert _spans(_flat_out(t, speed, throttle), "clipping") == found


def test_no_clipping_when_the_car_accelerates_again_after_a_lift(bahrain_laps):
    """A real 2026 lap (NOR lap 32 of the test day, 68-70 s): a lift to 50% throttle at
    255 km/h, the speed falling to 247, then full throttle again with the speed flat at
    247-248 km/h. The old rule called it clipping from the first full-throttle sample; it is
    the re-acceleration, not clipping, and every clipping sample of the day lies a second or
    more into its full-throttle stretch."""
    lap = next(x for x in bahrain_laps if (x.meta.driver, x.meta.lap_number) == ("NOR", 32))
    d = lap.data
    window = d[(d.Time >= 67.5) & (d.Time <= 70.0)]
    assert window.Throttle.min() < 60 and window.Throttle.iloc[-1] >= 98
    events = rule_events(lap)
    clips = events[events.event == "clipping"]
    assert not ((clips.start_time < 70.0) & (clips.end_time > 68.5)).any()
    checked = 0
    for lap in bahrain_laps[:60]:
        d = lap.data
        t = d.Time.to_numpy()
        full = ((d.Throttle >= 98) & (d.Brake == 0)).to_numpy()
        for row in rule_events(lap).query("event == 'clipping'").itertuples():
            at = int(np.searchsorted(t, row.start_time))
            off = np.flatnonzero(~full[: at + 1])  # the last sample off full throttle before
            first_full = t[off[-1] + 1] if len(off) else t[0]
            assert row.start_time - first_full >= 1.0 - 1e-9, (lap.meta.label(), row.start_time)
            checked += 1
    assert checked > 80


@pytest.mark.parametrize("constant", [0, 12])
def test_a_constant_drs_channel_is_a_car_without_drs(constant):
    n = 12
    frame = _lap(
        Speed=np.full(n, 300.0),
        Throttle=np.full(n, 100.0),
        Brake=np.zeros(n),
        DRS=np.full(n, constant),
    )
    assert (rule_events(frame).event == "drs").sum() == 0
    frame.loc[3:5, "DRS"] = 10 if constant == 0 else 8
    assert (rule_events(frame).event == "drs").sum() == (1 if constant == 0 else 2)


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
    # the speed at the onset: the last sample before the pedal went on between two samples
    assert first.entry_speed == before.Speed and first.min_speed == inside.Speed.min()
    # the main straight ends in the lap's hardest stop: from about 310 to about 110 km/h
    assert first.entry_speed >= 300 and first.min_speed < 130


def test_entry_speed_at_3_7_hz_is_the_speed_as_the_brake_goes_on(hungary_laps):
    """Car data at 3.7 Hz: the brake comes on between two samples and the first brake-on
    sample has lost up to 40 km/h already. Into turn 1 every driver arrives at 300-330 km/h,
    and the entry speeds the ten laps report into it lie within 30 km/h of each other (the
    first brake-on samples' spread 57)."""
    entries, first_samples = [], []
    for lap in hungary_laps.values():
        zone = rule_events(lap).query("event == 'braking'").iloc[0]
        entries.append(zone.entry_speed)
        first_samples.append(lap.data.Speed[lap.data.Time == zone.start_time].iloc[0])
    assert min(entries) >= 300 and max(entries) - min(entries) < 30
    assert max(first_samples) - min(first_samples) > 50


def test_entry_speed_in_merged_telemetry_is_a_car_data_sample(china_laps):
    """fastf1's merged telemetry lays position samples between the car data's (about 4 Hz),
    their speed interpolated, and fastf1 gives the car data's speed in whole km/h: the entry
    speed is read at a car-data sample, not at an interpolated one that has already lost
    part of the braking."""
    entries, just_before = [], []
    for lap in china_laps:
        speed, times = lap.columns["Speed"], lap.times
        for zone in rule_events(lap).query("event == 'braking'").itertuples():
            start = int(np.searchsorted(times, zone.start_time))
            if start > 0:
                entries.append(zone.entry_speed)
                just_before.append(speed[start - 1])
    whole = lambda values: np.mean(np.isclose(np.mod(values, 1.0), 0.0))  # noqa: E731
    assert len(entries) > 300
    assert whole(entries) >= 0.95 and whole(just_before) < 0.5


def test_entry_speed_into_melbourne_t11_checked_by_hand(f1_data):
    """Australia 2025 Q, NOR lap 19, into T11: car data 322 km/h at 3965 m (brake off), two
    position samples at 313.7 and 285.9 km/h (interpolated), car data 285 km/h with the brake
    on at 3991 m. The car came in at 322 km/h."""
    lap = read_laps(f1_data / "australia-2025" / "qualifying.parquet", drivers=["NOR"], laps=[19])
    zone = rule_events(lap[0]).query("event == 'braking' and 3980 < start_distance < 4000")
    assert zone.entry_speed.tolist() == [322.0]


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


def test_clipping_on_a_real_2026_lap_checked_by_hand(bahrain_laps):
    """NOR's lap 26 of the test day, read sample by sample: flat out down the main straight,
    327 km/h from 4.878 s (1.0 s earlier it read 326), falling to 323 km/h by 5.798 s, then the
    lift; four more straights clip, the one to turn 11 over 2 s with the speed held at
    235-236 km/h (the last sample, 70.478 s, reads 236 against 235 a second before)."""
    lap = next(x for x in bahrain_laps if x.meta.driver == "NOR" and x.meta.lap_number == 26)
    ev = rule_events(lap)
    counts = ev.event.value_counts().to_dict()
    assert counts.get("drs", 0) == 0 and counts.get("lift_coast", 0) == 0
    clip = ev[ev.event == "clipping"].reset_index(drop=True)
    assert len(clip) == 5
    first = clip.iloc[0]
    assert (round(first.start_time, 3), round(first.end_time, 3)) == (4.878, 5.798)
    assert (first.entry_speed, first.exit_speed, first.speed_lost) == (327.0, 323.0, 4.0)
    fourth = clip.iloc[3]
    assert (round(fourth.start_time, 3), round(fourth.end_time, 3)) == (68.318, 70.478)


def test_no_drs_on_the_2026_test_day(bahrain_laps):
    assert all((x.data.DRS == 0).all() for x in bahrain_laps)
    assert not any((rule_events(x).event == "drs").any() for x in bahrain_laps)


def test_measured_samples_are_the_laps_whatever_the_channels_read(china_laps):
    """Which samples are measurements is a property of the lap: the rule baseline reading
    Speed and Brake alone reads its entry speeds where the rules on every channel do."""
    from telecnn.telemetry.detector.baseline import rule_detect_laps

    every = rule_detect_laps(china_laps)
    few = rule_detect_laps(china_laps, ["Speed", "Brake"])
    for a, b in zip(every, few, strict=True):
        a, b = a[a.event == "braking"], b[b.event == "braking"]
        assert a.entry_speed.tolist() == b.entry_speed.tolist() and len(a)


def test_the_rule_conditions_of_no_samples_are_empty() -> None:
    from telecnn.telemetry.events.rules import event_conditions

    empty = np.zeros(0)
    cols = {"Time": empty, "Speed": empty, "Throttle": empty, "Brake": empty, "DRS": empty}
    conditions = event_conditions(cols)
    assert set(conditions) == {"braking", "drs", "lift_coast", "clipping"}
    assert all(len(c.mask) == 0 for c in conditions.values())
