"""Realism, measured: simulated laps against the real laps of ../shared/data, era by era:
2025-era laps against the 2024 qualifying and 2025 race laps, 2026-era laps against the 2026
test day's push laps (cars without DRS, energy-limited).

Per lap: samples per second, top and minimum speed, peak and mean deceleration in braking zones
(mean: speed lost over the zone's time, zones losing over 50 km/h), gear and throttle
distributions. The median over all simulated laps must fall inside the range the
real laps span (give or take 5% of its centre), and every circuit's median inside that range
widened for track character: the real laps come from two twisty circuits (Hungaroring,
Shanghai), the simulator also has a power track (more top gear and full throttle) and a street
circuit (slower corners, more of them). For the stats a track's character changes by nature
(a power track's gears and full throttle, a street circuit's time off the throttle and low
gears), the range check leaves that track out and a test of its own checks the direction.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from telecnn.telemetry.events.rules import rule_events
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
    "clip_seconds",
    "lift_seconds",
)
ERAS = ("2025", "2026")
#: What the 2026 test day (one circuit, Sakhir) measures for the 2026 era: top speed, braking
#: and the energy figures; gears, corner speeds and time on the brakes follow the circuit.
STATS_2026 = (
    "top_speed",
    "peak_decel_g",
    "zone_decel_g",
    "full_throttle",
    "clip_seconds",
    "lift_seconds",
)
ERA_STATS = [("2025", s) for s in STATS] + [("2026", s) for s in STATS_2026]
#: Stats that a power track (Monza) pushes outside what twisty circuits show (its long
#: straights outlast the deployment: the speed stops rising for longer).
POWER_TRACK_STATS = ("median_gear", "top_gear_share", "full_throttle", "clip_seconds")
#: Stats that a street circuit (Monaco: a corner every few seconds) pushes outside them.
STREET_STATS = ("closed_throttle", "median_gear")
#: How far the pooled median may stray outside the real range (share of the range's centre).
POOLED_SLACK = 0.05
#: How far a single circuit's median may stray outside the real range (share of the range's
#: centre): a street circuit is slower than Hungary, a power track faster than Shanghai.
TRACK_SLACK = 0.2


def lap_stats(lap) -> dict[str, float]:
    d = lap.data
    t, v = d.Time.to_numpy(), d.Speed.to_numpy() / 3.6
    accel = np.diff(v) / np.diff(t)
    events = rule_events(lap)
    braking = events[events.event == "braking"]
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
        "clip_seconds": _seconds(events, "clipping"),
        "lift_seconds": _seconds(events, "lift_coast"),
    }


def _seconds(events: pd.DataFrame, name: str) -> float:
    rows = events[events.event == name]
    return float((rows.end_time - rows.start_time).sum())


def _clean(laps: list, slack: float = 1.05) -> list:
    """Laps at racing speed: no standing start, no out-, in- or cool-down laps (their trace
    takes 5% over the median lap's)."""
    times = pd.Series([x.times[-1] - x.times[0] for x in laps])
    return [
        x
        for x, lt in zip(laps, times, strict=True)
        if x.meta.lap_number > 1 and lt < slack * times.median()
    ]


@pytest.fixture(scope="module")
def real_by_era(hungary_laps, race_laps, bahrain_laps) -> dict[str, pd.DataFrame]:
    """Real laps per era: ten qualifying laps (car data) and clean race laps (merged
    telemetry) for 2025; the 2026 test day's laps at racing speed (merged telemetry)."""
    quali = pd.DataFrame([lap_stats(x) for x in hungary_laps.values()]).assign(feed="car")
    race = pd.DataFrame([lap_stats(x) for x in _clean(race_laps)[::4]]).assign(feed="merged")
    test = pd.DataFrame([lap_stats(x) for x in _clean(bahrain_laps)[::2]]).assign(feed="merged")
    return {"2025": pd.concat([quali, race], ignore_index=True), "2026": test}


@pytest.fixture(scope="module")
def sim_by_era() -> dict[str, pd.DataFrame]:
    out = {}
    for era in ERAS:
        rows = []
        for name in CIRCUITS:
            for feed in ("car", "merged"):
                for lap in simulate_laps(name, 20, seed=21, feed=feed, era=era):
                    rows.append(
                        {
                            **lap_stats(lap),
                            "circuit": name,
                            "feed": feed,
                            "character": CIRCUITS[name].character,
                        }
                    )
        out[era] = pd.DataFrame(rows)
    return out


@pytest.fixture(scope="module")
def real(real_by_era) -> pd.DataFrame:
    return real_by_era["2025"]


@pytest.fixture(scope="module")
def sim(sim_by_era) -> pd.DataFrame:
    return sim_by_era["2025"]


@pytest.mark.parametrize("feed", ["car", "merged"])
def test_sample_rate_matches_the_feed(real, sim, feed):
    lo, hi = real.loc[real.feed == feed, "rate_hz"].agg(["min", "max"])
    rates = sim.loc[sim.feed == feed, "rate_hz"]
    assert lo <= rates.median() <= hi
    assert rates.between(lo * 0.95, hi * 1.05).mean() >= 0.9


@pytest.mark.parametrize(("era", "stat"), ERA_STATS)
def test_simulated_laps_fall_in_the_real_range(real_by_era, sim_by_era, era, stat):
    real, sim = real_by_era[era], sim_by_era[era]
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
    assert real.closed_throttle.median() < street.closed_throttle < 0.5
    assert 2 <= street.median_gear < real.median_gear.median()  # slow corners, low gears


def test_2026_cars_clip_and_2025_ones_hardly_as_on_the_real_laps(real_by_era, sim_by_era):
    """The story of a 2026 lap is energy: seconds of clipping every lap on the test day's
    laps (a median of several) against about one on 2025 race laps; the simulator's eras
    show the same, each median within a factor of two of the real one (twisty circuits:
    a power track clips longer, a street circuit hardly at all)."""
    twisty = {era: sim[sim.character == "technical"] for era, sim in sim_by_era.items()}
    real_new = real_by_era["2026"].clip_seconds.median()
    real_old = real_by_era["2025"].query("feed == 'merged'").clip_seconds.median()
    sim_old, sim_new = (twisty[era].clip_seconds.median() for era in ERAS)
    assert real_new > 2 * real_old and sim_new > 2 * max(sim_old, 0.5)
    assert real_new / 2 <= sim_new <= real_new * 2
    assert sim_by_era["2026"].top_speed.median() < sim_by_era["2025"].top_speed.median() + 10


def _crossings(laps) -> np.ndarray:
    """Per braking zone begun above 150 km/h: the seconds its samples before the brake spend
    off both pedals (throttle under 10%), the foot crossing from one pedal to the other."""
    out = []
    for lap in laps:
        t, cols = lap.times, lap.columns
        off = np.asarray(cols["Throttle"], dtype=float) < 10
        brake = np.asarray(cols["Brake"]) > 0
        speed = np.asarray(cols["Speed"], dtype=float)
        for i in np.flatnonzero(brake[1:] & ~brake[:-1]) + 1:
            if speed[i] < 150:
                continue
            j = i - 1
            while j > 0 and off[j] and not brake[j]:
                j -= 1
            out.append(t[i - 1] - t[j + 1] if j + 1 < i else 0.0)
    return np.array(out)


@pytest.mark.parametrize("era", ERAS)
def test_the_foot_crosses_from_throttle_to_brake_as_on_the_real_laps(race_laps, bahrain_laps, era):
    """Real drivers are off both pedals for a moment before many braking zones (a quarter of
    them on the 2025 race laps, an eighth on the 2026 test day's push laps, for 0.1 s or
    more): the simulator's share of such zones is within a factor of two of the real laps of
    its era (merged telemetry: the China race, the test day). Before the crossing was drawn,
    the brake followed the throttle at once on 2025 cars (a share of 0.05 against 0.26)."""
    real = _crossings(_clean(race_laps if era == "2025" else bahrain_laps))
    sim = _crossings(
        [lap for name in CIRCUITS for lap in simulate_laps(name, 20, 21, feed="merged", era=era)]
    )
    assert len(real) > 500 and len(sim) > 300
    real_share, sim_share = (real >= 0.1).mean(), (sim >= 0.1).mean()
    assert real_share / 2 <= sim_share <= real_share * 2, (real_share, sim_share)
