"""Realism, measured: simulated laps against the real laps of ../shared/data.

Per lap: samples per second, top and minimum speed, peak and mean deceleration in braking zones
(mean: speed lost over the zone's time, zones losing over 50 km/h), gear and throttle
distributions. The median over all simulated laps must fall inside the range the
real laps span (give or take 5% of its centre), and every circuit's median inside that range
widened for track character: the real laps come from two twisty circuits (Hungaroring,
Shanghai), the simulator also has a power track (more top gear and full throttle) and a street
circuit (slower corners, more of them). For the stats a track's character changes by nature
(a power track's gears and full throttle, a street circuit's time off the throttle), the
range check leaves that track out and a test of its own checks the direction.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from telecnn.telemetry.rules import rule_events
from telecnn.telemetry.simulate import CIRCUITS, simulate_laps

G = 9.81
STATS = (
    "top_speed",
    "min_speed",
    "peak_decel_g",
    "zone_decel_g",
    "median_gear",
    "top_gear_share",
    "full_throttle",
    "closed_throttle",
    "brake_share",
    "max_rpm",
)
#: Stats that a power track (Monza) pushes outside what twisty circuits show.
POWER_TRACK_STATS = ("median_gear", "top_gear_share", "full_throttle")
#: Stats that a street circuit (Monaco: a corner every few seconds) pushes outside them.
STREET_STATS = ("closed_throttle",)
#: How far the pooled median may stray outside the real range (share of the range's centre).
POOLED_SLACK = 0.05
#: How far a single circuit's median may stray outside the real range (share of the range's
#: centre): a street circuit is slower than Hungary, a power track faster than Shanghai.
TRACK_SLACK = 0.2


def lap_stats(lap) -> dict[str, float]:
    d = lap.data
    t, v = d.Time.to_numpy(), d.Speed.to_numpy() / 3.6
    accel = np.diff(v) / np.diff(t)
    braking = rule_events(lap)
    braking = braking[braking.event == "braking"]
    peaks, means = [], []
    for row in braking.itertuples():
        i, j = np.searchsorted(t, row.start_time), np.searchsorted(t, row.end_time)
        if j > i:
            peaks.append(-accel[i:j].min())
        lost = (row.entry_speed - row.min_speed) / 3.6
        if lost > 50 / 3.6:
            means.append(lost / (row.end_time - row.start_time))
    return {
        "rate_hz": (len(t) - 1) / (t[-1] - t[0]),
        "top_speed": d.Speed.max(),
        "min_speed": d.Speed.min(),
        "peak_decel_g": np.median(peaks) / G,
        "zone_decel_g": np.median(means) / G,
        "median_gear": d.nGear.median(),
        "top_gear_share": (d.nGear >= 7).mean(),
        "full_throttle": (d.Throttle >= 98).mean(),
        "closed_throttle": (d.Throttle <= 2).mean(),
        "brake_share": (d.Brake > 0).mean(),
        "max_rpm": d.RPM.max(),
    }


@pytest.fixture(scope="module")
def real(hungary_laps, race_laps) -> pd.DataFrame:
    """Real laps: ten qualifying laps (car data) and clean race laps (merged telemetry; no
    standing start, no pit stops or slow laps)."""
    quali = pd.DataFrame([lap_stats(x) for x in hungary_laps.values()]).assign(feed="car")
    times = pd.Series([x.meta.lap_time for x in race_laps])
    clean = [
        x
        for x, lt in zip(race_laps, times, strict=True)
        if x.meta.lap_number > 1 and lt < 1.05 * times.median()
    ]
    race = pd.DataFrame([lap_stats(x) for x in clean[::4]]).assign(feed="merged")
    return pd.concat([quali, race], ignore_index=True)


@pytest.fixture(scope="module")
def sim() -> pd.DataFrame:
    rows = []
    for name in CIRCUITS:
        for feed in ("car", "merged"):
            for lap in simulate_laps(name, 20, seed=21, feed=feed):
                rows.append(
                    {
                        **lap_stats(lap),
                        "circuit": name,
                        "feed": feed,
                        "character": CIRCUITS[name].character,
                    }
                )
    return pd.DataFrame(rows)


@pytest.mark.parametrize("feed", ["car", "merged"])
def test_sample_rate_matches_the_feed(real, sim, feed):
    lo, hi = real.loc[real.feed == feed, "rate_hz"].agg(["min", "max"])
    rates = sim.loc[sim.feed == feed, "rate_hz"]
    assert lo <= rates.median() <= hi
    assert rates.between(lo * 0.95, hi * 1.05).mean() >= 0.9


@pytest.mark.parametrize("stat", STATS)
def test_simulated_laps_fall_in_the_real_range(real, sim, stat):
    lo, hi = real[stat].min(), real[stat].max()
    centre = (lo + hi) / 2
    pool = sim
    if stat in POWER_TRACK_STATS:
        pool = pool[pool.character != "power"]
    if stat in STREET_STATS:
        pool = pool[pool.character != "street"]
    pooled = pool[stat].median()
    assert lo - POOLED_SLACK * centre <= pooled <= hi + POOLED_SLACK * centre, (
        stat,
        lo,
        hi,
        pooled,
    )
    slack = TRACK_SLACK * centre
    per_circuit = pool.groupby("circuit")[stat].median()
    assert per_circuit.between(lo - slack, hi + slack).all(), (stat, lo, hi, per_circuit.to_dict())


def test_the_power_track_is_more_flat_out_than_the_real_twisty_ones(real, sim):
    monza = sim[sim.character == "power"].median(numeric_only=True)
    for stat in ("top_speed", *POWER_TRACK_STATS):
        assert monza[stat] > real[stat].median(), stat


def test_the_street_circuit_is_more_off_throttle_than_the_real_twisty_ones(real, sim):
    street = sim[sim.character == "street"].median(numeric_only=True)
    for stat in STREET_STATS:
        assert real[stat].median() < street[stat] < 0.5, stat
