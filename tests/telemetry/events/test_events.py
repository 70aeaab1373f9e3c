"""The event table toolkit: runs and points of masks to tables, tables back to masks."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from telecnn.telemetry.events.rules import rule_events, rule_parts
from telecnn.telemetry.events.table import (
    empty_events,
    event_masks,
    events_frame,
    measured_samples,
    point_columns,
    run_bounds,
    run_columns,
    split_events,
)
from telecnn.telemetry.laps.schema import EVENT_COLUMNS, EVENT_TYPES


def test_run_bounds_finds_maximal_runs_and_respects_min_length():
    mask = np.array([1, 1, 0, 1, 0, 0, 1, 1, 1], bool)
    starts, ends = run_bounds(mask)
    assert starts.tolist() == [0, 3, 6] and ends.tolist() == [1, 3, 8]
    starts, ends = run_bounds(mask, min_samples=2)
    assert starts.tolist() == [0, 6] and ends.tolist() == [1, 8]
    assert run_bounds(np.zeros(0, bool))[0].size == 0


def test_run_events_span_sample_times_and_average_confidence():
    t = np.array([0.0, 0.3, 0.5, 0.8, 1.1])
    d = np.array([0.0, 10.0, 20.0, 30.0, 40.0])
    prob = np.array([0.1, 0.9, 0.7, 0.2, 0.2])
    ev = events_frame(run_columns(prob > 0.5, t, d, "braking", confidence=prob))
    assert list(ev.columns[: len(EVENT_COLUMNS)]) == list(EVENT_COLUMNS)
    row = ev.iloc[0]
    assert (row.start_time, row.end_time, row.start_distance, row.end_distance) == (
        0.3,
        0.5,
        10.0,
        20.0,
    )
    assert row.confidence == pytest.approx(0.8)
    assert events_frame(run_columns(prob > 2, t, None, "braking")).empty


def test_the_empty_table_has_the_standard_columns_and_types():
    empty = empty_events()
    assert list(empty.columns) == list(EVENT_COLUMNS) and empty.empty
    assert empty["event"].dtype == object and empty["start_time"].dtype == float


def test_masks_cover_intervals_and_mark_the_sample_nearest_a_point():
    times = np.arange(10) * 0.5
    events = events_frame(
        run_columns(np.isin(np.arange(10), [2, 3, 4]), times, None, "braking"),
        point_columns(np.arange(10) == 7, times, None, "upshift"),
    )
    masks = event_masks(events, times)
    assert masks.shape == (len(EVENT_TYPES), 10)
    assert np.flatnonzero(masks[EVENT_TYPES.index("braking")]).tolist() == [2, 3, 4]
    assert np.flatnonzero(masks[EVENT_TYPES.index("upshift")]).tolist() == [7]
    # on a finer grid an interval covers every grid time inside it, a point its nearest one
    grid = np.arange(0, 4.6, 0.1)
    fine = event_masks(events, grid)
    assert np.isclose(grid[fine[EVENT_TYPES.index("braking")]], np.arange(1.0, 2.05, 0.1)).all()
    assert np.isclose(grid[fine[EVENT_TYPES.index("upshift")]], [3.5]).all()


def test_split_events_gives_each_lap_what_it_gives_alone():
    rng = np.random.default_rng(3)
    laps = []
    for n in (40, 55, 31):
        laps.append(
            {
                "Time": np.arange(n) * 0.27,
                "Distance": np.arange(n) * 18.0,
                "Speed": rng.uniform(80, 300, n),
                "Throttle": rng.choice([0.0, 5.0, 100.0], n),
                "Brake": rng.integers(0, 2, n),
                "nGear": rng.integers(2, 8, n),
                "DRS": rng.choice([0, 8, 12], n),
            }
        )
    segments = np.repeat(np.arange(3), [40, 55, 31])
    cols = {k: np.concatenate([lap[k] for lap in laps]) for k in laps[0]}
    together = split_events(rule_parts(cols, segments), 3)
    for lap, table in zip(laps, together, strict=True):
        alone = rule_events(pd.DataFrame(lap))
        pd.testing.assert_frame_equal(table.reset_index(drop=True), alone)


def test_a_car_standing_in_the_pit_box_has_no_cnn_events(bahrain_laps) -> None:
    """A testing lap stands in the pit box for a few seconds. Where the CNN's probabilities
    mark a braking zone and a downshift while the car stands (forced here, so the check holds
    whatever the weights), the post-processing reports neither and keeps every other event."""
    from dataclasses import replace

    from telecnn.telemetry.detector.postprocess import probabilities_to_events
    from telecnn.telemetry.detector.running import choose_detector
    from telecnn.telemetry.events.rules import lap_events
    from telecnn.telemetry.events.table import EVENT_TYPES, STANDSTILL_KMH

    def longest_stop(lap) -> tuple[float, float]:
        moving = np.r_[True, lap.data.Speed.to_numpy(float) >= STANDSTILL_KMH, True]
        edges = np.flatnonzero(np.diff(moving.astype(int)))  # starts and ends of the stops
        starts, ends = edges[::2], edges[1::2] - 1
        k = int(np.argmax(lap.times[ends] - lap.times[starts])) if len(starts) else 0
        return (lap.times[starts[k]], lap.times[ends[k]]) if len(starts) else (0.0, 0.0)

    from telecnn.telemetry.detector.detector import SKIP_STANDING_S

    # a stop the model runs over (a longer one is skipped before it runs: see the next test)
    lap = next(x for x in bahrain_laps if 6 < np.subtract(*longest_stop(x)[::-1]) < SKIP_STANDING_S)
    stop_from, stop_to = longest_stop(lap)
    detector = choose_detector("cnn")
    probs = detector.probabilities([lap])[0]
    at_samples, on_grid = probs.at_samples.copy(), probs.on_grid.copy()
    for name in ("braking", "downshift"):
        row = EVENT_TYPES.index(name)
        for times, values in ((lap.times, at_samples), (probs.grid_times, on_grid)):
            values[row, (times > stop_from + 2) & (times < stop_to - 2)] = 1.0
    forced = replace(probs, at_samples=at_samples, on_grid=on_grid)
    raw = probabilities_to_events(  # the CNN's post-processing before the standstill rule
        forced.at_samples, lap.times, lap.distance, lap.data.Speed.to_numpy(float),
        detector.thresholds, lap_events(lap.data, lap.channels), grid_probs=forced.on_grid,
        grid_times=forced.grid_times,  # no gear: the forced shift stands for itself
        measured=measured_samples(lap.columns),
    )  # fmt: skip
    inside = (raw.start_time >= stop_from) & (raw.end_time <= stop_to)
    assert {"braking", "downshift"} <= set(raw.event[inside])
    own_edges = replace(detector, channel_edges=False)  # as raw: the standstill rule alone
    events = own_edges.events_from(lap, forced)
    speed = lap.data.Speed.to_numpy(float)
    for found in (events, detector.events_from(lap, forced)):  # edges the model's, the channels'
        assert not ((found.start_time >= stop_from) & (found.end_time <= stop_to)).any()
        for row in found.itertuples():  # zones are cut where the car stands: none holds a stop
            span = (lap.times >= row.start_time) & (lap.times <= row.end_time)
            assert speed[span].min() >= STANDSTILL_KMH, row
    away = raw[(raw.end_time < stop_from) | (raw.start_time > stop_to)].reset_index(drop=True)
    mine = events[(events.end_time < stop_from) | (events.start_time > stop_to)]
    pd.testing.assert_frame_equal(mine[away.columns].reset_index(drop=True), away)
    assert len(away) > 30


def test_the_rules_report_nothing_of_a_car_in_the_pit_box(bahrain_laps) -> None:
    """Testing laps stand in the garage with the brake held and gears picked: the pedal and
    the gear alone make runs and shifts there, but rule_events (what compare-laps' pedal
    braking, telemetry show and the labels read) reports none of them: no event holds a
    sample of the car standing."""
    from telecnn.telemetry.events.table import STANDSTILL_KMH

    standing_found = 0
    for lap in bahrain_laps[:120]:
        speed, t = lap.data.Speed.to_numpy(float), lap.times
        raw = events_frame(*rule_parts({k: v for k, v in lap.columns.items() if k != "Speed"}))
        events = rule_events(lap)
        for found, check in ((raw, False), (events, True)):
            first = np.searchsorted(t, found.start_time.to_numpy(), "left")
            last = np.maximum(np.searchsorted(t, found.end_time.to_numpy(), "right"), first + 1)
            still = [speed[a:b].min() < STANDSTILL_KMH for a, b in zip(first, last, strict=True)]
            if check:
                assert not any(still), lap.meta.label()
            else:
                standing_found += sum(still)
    assert standing_found > 10


def test_measured_samples_tell_car_data_from_interpolated_position_samples() -> None:
    """Merged telemetry: car data (whole km/h, about 4 Hz) with position samples between, whose
    speed, RPM and throttle are interpolated; two laps end to end, each lap's ends measured."""
    rng = np.random.default_rng(3)
    car_t = np.cumsum(rng.uniform(0.2, 0.3, 60))
    car = {
        "Speed": rng.integers(100, 330, 60).astype(float),
        "RPM": rng.integers(8000, 12000, 60).astype(float),
        "Throttle": np.where(rng.random(60) < 0.5, 100.0, rng.integers(0, 100, 60)),
    }
    pos_t = car_t[:-1] + rng.uniform(0.02, 0.18, 59)
    t = np.concatenate([car_t, pos_t])
    order = np.argsort(t)
    cols = {"Time": t[order]}
    for name, values in car.items():
        cols[name] = np.interp(t, car_t, values)[order]
    is_car = (np.arange(len(t)) < 60)[order]
    assert (measured_samples(cols) == is_car).all()
    assert measured_samples({"Time": t, "RPM": t}) is None  # no speed: nothing to tell
    segments = np.repeat([0, 1], [40, len(t) - 40])
    ends = measured_samples(cols, segments)
    assert ends[[0, 39, 40, -1]].all() and (ends[1:39] == is_car[1:39]).all()
