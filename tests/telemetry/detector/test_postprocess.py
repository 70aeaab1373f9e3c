"""Post-processing on hand-made probability traces: hysteresis, minimum lengths, peaks, schema."""

from __future__ import annotations

import numpy as np
import pandas as pd

from telecnn.telemetry.detector.postprocess import (
    DEFAULT_THRESHOLDS,
    hysteresis_runs,
    point_peaks,
    probabilities_to_events,
)
from telecnn.telemetry.laps.schema import EVENT_COLUMNS, EVENT_TYPES, Lap


def _probs(n: int, **traces: np.ndarray) -> np.ndarray:
    p = np.zeros((len(EVENT_TYPES), n))
    for name, trace in traces.items():
        p[EVENT_TYPES.index(name)] = trace
    return p


def test_hysteresis_keeps_runs_that_reach_high_and_extends_them_to_low() -> None:
    p = np.array([0.1, 0.4, 0.6, 0.45, 0.2, 0.4, 0.45, 0.3, 0.9, 0.9, 0.36, 0.1])
    # first run: 1..3 (>= 0.35 throughout, reaches 0.6); second: 5..6 never reaches 0.5;
    # third: 8..10 ends on 0.36 >= low
    assert hysteresis_runs(p, high=0.5, low=0.35) == [(1, 3), (8, 10)]
    assert hysteresis_runs(p, high=0.95, low=0.35) == []
    assert hysteresis_runs(np.ones(4), 0.5, 0.35) == [(0, 3)]


def test_point_peaks_respects_height_and_spacing() -> None:
    times = np.arange(20) * 0.25
    p = np.zeros(20)
    p[[3, 4]] = [0.7, 0.9]  # one shift smeared over two samples -> one peak at 4
    p[10] = 0.45  # below height
    p[15] = 0.8
    p[19] = 0.95  # a peak on the last sample still counts
    assert point_peaks(p, times, 0.5, 0.2).tolist() == [4, 15, 19]
    # two peaks 0.5 s apart merge when the minimum spacing is 1 s
    q = np.zeros(20)
    q[[5, 7]] = [0.9, 0.8]
    assert point_peaks(q, times, 0.5, 1.0).tolist() == [5]
    assert point_peaks(q, times, 0.5, 0.2).tolist() == [5, 7]


def test_events_in_lap_times_and_distances_with_schema_and_extras() -> None:
    n = 12
    times = np.linspace(0.0, 2.75, n)  # 0.25 s apart
    dist = times * 80.0
    speed = 300 - 200 * np.linspace(0, 1, n) ** 2  # measured: on no straight line
    braking = np.array([0, 0, 0.8, 0.9, 0.7, 0.4, 0, 0, 0, 0, 0, 0])
    lift = np.array([0, 0, 0, 0, 0, 0, 0, 0, 0.8, 0, 0, 0])  # one sample: under min_samples 2
    up = np.zeros(n)
    up[9] = 0.97
    events = probabilities_to_events(
        _probs(n, braking=braking, lift_coast=lift, upshift=up),
        times,
        dist,
        speed,
        DEFAULT_THRESHOLDS,
    )
    assert list(events.columns[: len(EVENT_COLUMNS)]) == list(EVENT_COLUMNS)
    assert events["event"].tolist() == ["braking", "upshift"]
    brake = events.iloc[0]
    assert (brake.start_time, brake.end_time) == (times[2], times[5])
    assert (brake.start_distance, brake.end_distance) == (dist[2], dist[5])
    assert np.isclose(brake.confidence, np.mean([0.8, 0.9, 0.7, 0.4]))
    assert brake.entry_speed == speed[1] and brake.min_speed == speed[5]  # the onset: before
    shift = events.iloc[1]
    assert shift.start_time == shift.end_time == times[9]
    assert np.isclose(shift.confidence, 0.97)


def test_min_duration_and_empty_output() -> None:
    n = 10
    times = np.arange(n) * 0.3
    drs = np.array([0, 0.9, 0.9, 0, 0, 0, 0.9, 0.9, 0.9, 0.9])
    th = {**DEFAULT_THRESHOLDS, "drs": {**DEFAULT_THRESHOLDS["drs"], "min_duration": 0.5}}
    events = probabilities_to_events(_probs(n, drs=drs), times, None, None, th)
    assert len(events) == 1 and events.start_time[0] == times[6] and events.end_time[0] == times[9]
    assert events["start_distance"].isna().all()
    none = probabilities_to_events(_probs(n), times, times, None)
    assert isinstance(none, pd.DataFrame) and len(none) == 0
    assert list(none.columns) == list(EVENT_COLUMNS)


def test_a_run_is_judged_by_its_own_samples_alone() -> None:
    """A gap (NaN) after the last run, in this lap or a later one laid beside it, changes
    nothing: the run's peak is its own."""
    from telecnn.telemetry.detector.postprocess import LapTraces, laps_to_events

    assert hysteresis_runs(np.array([0.9, 0.9, 0.1, np.nan]), 0.5, 0.35) == [(0, 1)]
    times_a, times_b = np.arange(8) * 0.25, np.arange(6) * 0.25
    a = LapTraces(_probs(8, braking=np.array([0, 0.9, 0.9, 0.9, 0.9, 0, 0, 0])), times_a)
    b = LapTraces(_probs(6, braking=np.array([0, 0, np.nan, 0, 0, 0])), times_b)
    alone = laps_to_events([a], None, ("braking",))[0]
    together = laps_to_events([a, b], None, ("braking",))[0]
    assert len(alone) == 1
    pd.testing.assert_frame_equal(together, alone)


def test_a_shift_takes_its_gears_from_the_nearest_change_of_its_direction() -> None:
    """The CNN places a shift a sample late or early: its gears are those of the nearest gear
    change of its direction within half a second in its lap; with none, it is no shift."""
    from telecnn.telemetry.detector.postprocess import gear_change_near

    times = np.arange(12) * 0.25
    gear = np.array([3, 3, 4, 4, 4, 4, 3, 3, 3, 3, 4, 4], dtype=float)
    segments = np.array([0] * 8 + [1] * 4)
    at = np.array([3, 1, 5, 9, 8])
    up = gear_change_near(at, gear, times, segments, up=True)
    # 3 -> the change at 2 (a sample late); 1 -> 2 (early); 5: the up-change at 2 is 0.75 s
    # away; 9 -> 10 (lap 1's own); 8: lap 1's first sample changes nothing, 10 is 0.5 s on
    np.testing.assert_array_equal(up, [2, 2, -1, 10, 10])
    down = gear_change_near(np.array([7, 4]), gear, times, segments, up=False)
    np.testing.assert_array_equal(down, [6, 6])


def test_cnn_shifts_on_a_real_race_carry_the_gears_that_changed(race_laps) -> None:
    """On the China race, every CNN shift's from_gear and to_gear are the trace's around a real
    gear change of its direction, within half a second of it: never equal, never backwards."""
    from telecnn.telemetry.detector.running import detect_laps

    laps = race_laps[::8]
    for lap, events in zip(laps, detect_laps(laps), strict=True):
        shifts = events[events.event.isin(["upshift", "downshift"])]
        assert len(shifts) > 20
        up = shifts.event == "upshift"
        assert (shifts.to_gear[up] > shifts.from_gear[up]).all()
        assert (shifts.to_gear[~up] < shifts.from_gear[~up]).all()
        t, gear = lap.times, lap.columns["nGear"]
        change = np.flatnonzero(np.diff(gear)) + 1
        for row in shifts.itertuples():
            k = change[np.argmin(np.abs(t[change] - row.start_time))]
            assert abs(t[k] - row.start_time) <= 0.5


def test_a_run_on_the_whole_condition_is_every_condition_run_it_touches() -> None:
    from telecnn.telemetry.detector.postprocess import on_condition

    cond = np.array([0, 1, 1, 1, 0, 0, 1, 1, 0, 1, 1, 1, 1, 0], dtype=bool)
    # the model found 2..2 (inside 1..3) and 5..7 (touching 6..7); 9..12 untouched
    starts, ends = on_condition(np.array([2, 5]), np.array([2, 7]), cond, None, whole=True)
    assert list(zip(starts.tolist(), ends.tolist(), strict=True)) == [(1, 3), (6, 7)]
    # part of the condition: the model's run less the samples where it fails
    starts, ends = on_condition(np.array([0]), np.array([8]), cond, None, whole=False)
    assert list(zip(starts.tolist(), ends.tolist(), strict=True)) == [(1, 3), (6, 7)]
    # runs never cross laps laid end to end
    seg = np.repeat([0, 1], 7)
    starts, ends = on_condition(np.array([3]), np.array([3]), cond, seg, whole=True)
    assert list(zip(starts.tolist(), ends.tolist(), strict=True)) == [(1, 3)]


def test_cnn_edges_on_a_real_race_are_the_raw_channels(race_laps) -> None:
    """On the China race, read as an analyst would: every CNN braking zone runs from a brake-on
    sample to the last of its run; every lift holds the throttle under 10 and the brake off
    throughout and spans 0.5 s; through Speed,Throttle no lift holds an open throttle; with the
    model's own edges the zones' edges differ."""
    from dataclasses import replace

    from telecnn.telemetry.detector.running import choose_detector

    laps = race_laps[::8]
    detector = choose_detector("cnn")
    for lap, events in zip(laps, detector.detect_laps(laps), strict=True):
        t, brake = lap.times, lap.columns["Brake"] > 0
        throttle = lap.columns["Throttle"]
        for row in events[events.event == "braking"].itertuples():
            i, j = np.searchsorted(t, [row.start_time, row.end_time])
            assert brake[i : j + 1].all(), row
            assert i == 0 or not brake[i - 1] or lap.columns["Speed"][i - 1] < 5, row
            assert j == len(t) - 1 or not brake[j + 1] or lap.columns["Speed"][j + 1] < 5, row
        lifts = events[events.event == "lift_coast"]
        for row in lifts.itertuples():
            i, j = np.searchsorted(t, [row.start_time, row.end_time])
            assert (throttle[i : j + 1] < 10).all() and not brake[i : j + 1].any(), row
            assert row.end_time - row.start_time >= 0.5 - 1e-9
    reduced = detector.detect_laps(laps, ["Speed", "Throttle"])
    for lap, events in zip(laps, reduced, strict=True):
        t, throttle = lap.times, lap.columns["Throttle"]
        for row in events[events.event == "lift_coast"].itertuples():
            i, j = np.searchsorted(t, [row.start_time, row.end_time])
            assert (throttle[i : j + 1] < 10).all(), row
    # Brake unread gives nothing: the same events from the laps without it
    without = [
        Lap.from_columns({k: v for k, v in lap.columns.items() if k != "Brake"}, lap.meta)
        for lap in laps
    ]
    for a, b in zip(reduced, detector.detect_laps(without, ["Speed", "Throttle"]), strict=True):
        pd.testing.assert_frame_equal(a, b)
    own = replace(detector, channel_edges=False).detect_laps(laps)
    mine = detector.detect_laps(laps)
    moved = 0
    for o, m in zip(own, mine, strict=True):  # the model's own edges differ from the channels'
        o, m = o[o.event == "braking"], m[m.event == "braking"]
        moved += len(set(o.start_time) ^ set(m.start_time))
    assert moved > 20
