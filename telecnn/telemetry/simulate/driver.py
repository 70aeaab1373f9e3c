"""Per-lap variation: the car's setup and conditions, the driver's choices and mistakes.

Every lap draws its own numbers from its own generator (seeded by the simulation seed and the lap
index), so lap k is the same whatever the batch size or the number of laps asked for.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import numpy as np

from telecnn.telemetry.simulate.circuits import (
    STEP_M,
    Circuit,
    geometry,
    get_circuit,
    in_zone,
    wrap_delta,
)
from telecnn.telemetry.simulate.energy import ERAS, MJ, EnergyPlan, Era
from telecnn.telemetry.simulate.physics import STRAIGHT, V_CAP, CarBatch, Profile, speed_profile
from telecnn.telemetry.simulate.physics import G as G_ACC

BASE_MASS = 798.0
BASE_POWER = 680e3
GRIP, BRAKE_GRIP, TRACTION = 1.6, 1.6, 1.4
#: Speeds at 12,000 rpm of gears 1..8 as a share of 8th's.
GEAR_SPREAD = np.array([0.33, 0.43, 0.52, 0.61, 0.70, 0.79, 0.89, 1.0])
REV_LIMIT = 12000.0


@dataclass
class LapPlan:
    """What one lap will be: the numbers drawn for it (scalars) and its masks (per grid point)."""

    quali: bool
    car: dict[str, float]
    corner_delta: np.ndarray
    cap: np.ndarray
    coast: np.ndarray
    pedal: np.ndarray  # per point, the share of the lap's braking used (0: a lift instead)
    part_throttle: np.ndarray  # per point, the pedal held (1: flat out; power: its square)
    drs_enabled: np.ndarray
    drs_delay_m: float
    drs_code: int
    drs_base: int
    upshift: float
    downshift: float  # rpm a gear is dropped at when not braking
    brake_downshift: float  # rpm a gear is dropped at under braking (early: engine braking)
    gear_scale: float
    brake_lead: float
    intervals: np.ndarray
    merged: bool
    wheelspins: list[tuple[int, float, float]]  # grid index, duration s, rpm gain
    lockups: list[tuple[int, float, float]]  # zone, duration s, depth (share)
    offset: float
    dabs: list[tuple[int, int, float]]  # brake taps: grid index, points, braking force (N)
    speed_lag: float  # s the speed sensor's trace trails the car
    speed_smooth: float  # s (Gaussian sigma) of the speed sensor's smoothing
    era: str  # the season's rules (:data:`~telecnn.telemetry.simulate.energy.ERAS`)
    stop: tuple[int, float] | None  # in-lap into the pits: grid index of the stop, seconds held
    energy: dict[str, float]  # the lap's electric numbers (see :class:`EnergyPlan`)


@dataclass(frozen=True)
class Nominal:
    """A circuit's reference lap (nominal car, qualifying), used to place driver choices."""

    v: np.ndarray
    brake_starts: np.ndarray  # grid index where braking zones start
    brake_ends: np.ndarray  # grid index of each zone's last braking point
    brake_entry: np.ndarray  # speed there (km/h)
    coast_seconds: np.ndarray  # how long each zone's speed drop would take off the pedals
    zone_points: list[np.ndarray]  # grid points from just after the previous zone to the end
    exits: np.ndarray  # grid index where slow-corner acceleration starts
    corner_bumps: np.ndarray  # (corners, points) weight of each corner at each point
    drs_masks: np.ndarray  # (zones, points)
    drs_detect: np.ndarray  # (zones, points): the 150 m before each zone (DRS eligible, code 8)
    drs_start_idx: np.ndarray  # per point: index of its zone's start point (-1 outside)
    drs_since: np.ndarray  # per point: metres since its DRS zone's start
    v_start: float
    coast_times: list[np.ndarray]  # per zone: seconds from each point before it to its braking
    apex: np.ndarray  # grid index of each corner's apex
    fast_corners: np.ndarray  # corners taken at 150-280 km/h (nominal apex speed)


@cache
def nominal(name: str) -> Nominal:
    """The circuit's reference lap and the places where the driver's choices apply (cached)."""
    c = get_circuit(name)
    geo = geometry(name)
    n = len(geo.s)
    bumps = np.zeros((len(c.corners), n))
    for k, corner in enumerate(c.corners):
        delta = wrap_delta(geo.s - corner.apex, c.length)
        bumps[k] = np.exp(-0.5 * (delta / (corner.arc / 2 + 15.0)) ** 2)
    drs = np.array([in_zone(geo.s, a, b) for a, b in c.drs_zones])
    start_idx = np.full(n, -1)
    for mask in drs:
        starts = np.flatnonzero(mask & ~np.roll(mask, 1))
        first = starts[0]
        run = np.roll(np.arange(n), -first)
        inside = np.roll(mask, -first)
        start_idx[run[inside]] = first
    detect = np.zeros_like(drs)
    for shift in range(1, int(150 / STEP_M)):
        detect |= np.roll(drs, -shift, axis=1)
    detect &= ~drs
    ones = np.ones((1, n))
    car = _car_batch([_nominal_car(c)])
    prof = None
    v0 = np.array([60.0])
    for _ in range(2):  # second pass starts at the speed the first lap ended with
        prof = speed_profile(
            geo.curvature, STEP_M, car, ones, ones * V_CAP, drs.any(axis=0)[None], ones < 0, v0
        )
        v0 = prof.v[:, -1]
    assert prof is not None
    braking = prof.braking[0]
    starts = np.flatnonzero(braking & ~np.roll(braking, 1))
    ends = np.flatnonzero(braking & ~np.roll(braking, -1))
    ends = ends[np.searchsorted(ends, starts) % len(ends)] if len(ends) else ends
    accel = prof.accel[0] > 0
    exits = np.flatnonzero(accel & ~np.roll(accel, 1) & (prof.v[0] < 170 / 3.6))
    drop = prof.v[0, starts] - prof.v[0, ends]
    coast_decel = np.array(
        [
            -prof.coast_accel[0, (s + np.arange((e - s) % n + 1)) % n].mean()
            for s, e in zip(starts, ends, strict=True)
        ]
    )
    return Nominal(
        v=prof.v[0],
        brake_starts=starts,
        brake_ends=ends,
        brake_entry=prof.v[0, starts] * 3.6,
        coast_seconds=drop / coast_decel,
        zone_points=_zone_points(ends, n),
        exits=exits,
        corner_bumps=bumps,
        drs_masks=drs,
        drs_detect=detect,
        drs_start_idx=start_idx,
        drs_since=(geo.s - np.where(start_idx >= 0, start_idx * STEP_M, 0.0)) % (n * STEP_M),
        v_start=float(v0[0]),
        coast_times=[_coast_times(prof.v[0], s, prof.v[0, s] * 0.85) for s in starts],
        apex=(apex := np.array([int(corner.apex / STEP_M) % n for corner in c.corners])),
        fast_corners=np.flatnonzero(
            (prof.v[0, apex] >= 150 / 3.6) & (prof.v[0, apex] <= 280 / 3.6)
        ),
    )


def _coast_times(v: np.ndarray, start: int, slowest: float) -> np.ndarray:
    """Seconds the nominal car takes from each point before grid point ``start`` (nearest
    first) to it, back to where its speed falls under ``slowest`` (a lift is taken at speed,
    never back into the acceleration out of the corner before)."""
    before = (start - np.arange(1, len(v))) % len(v)
    slow = np.flatnonzero(v[before] < slowest)
    if len(slow):
        before = before[: slow[0]]
    return np.cumsum(STEP_M / v[before])


def _zone_points(ends: np.ndarray, n: int) -> list[np.ndarray]:
    """Each braking zone's grid points from just after the previous zone's last braking point
    (wrapping round the lap) to its own last one."""
    out = []
    for k, end in enumerate(ends.tolist()):
        span = n if len(ends) == 1 else (end - int(ends[k - 1])) % n  # k - 1 wraps
        out.append((end - np.arange(max(span - ZONE_GAP, 0) + 1)) % n)
    return out


def _nominal_car(c: Circuit) -> dict[str, float]:
    return {
        "mass": BASE_MASS + 5.0,
        "power": BASE_POWER,
        "cl_a": c.cl_a,
        "cd_a": c.cd_a,
        "grip": GRIP,
        "brake_grip": BRAKE_GRIP,
        "traction": TRACTION,
        "brake_use": 0.95,
        "engine_brake": 2200.0,
        "trail_floor": 0.15,
        "trail_span": 10.0,
        "release_dv": 0.5,
        "scrub": 0.04,
    }


def _car_batch(cars: list[dict[str, float]]) -> CarBatch:
    return CarBatch(**{k: np.array([car[k] for car in cars]) for k in cars[0]})


def plan_lap(
    name: str, rng: np.random.Generator, mode: str, feed: str, era: str = "2026"
) -> LapPlan:
    """Draw one lap's conditions, choices and injected events under ``era``'s rules.

    The draws happen in a fixed order (each step below in turn), so a lap's plan depends only
    on its generator.
    """
    c = get_circuit(name)
    nom = nominal(name)
    rules = ERAS[era]
    quali = mode == "quali" or (mode == "mixed" and rng.random() < 0.5)
    wet = rng.random() < 0.1
    car = _draw_car(c, rng, quali, wet, rules)
    delta, mistake = _corner_deltas(len(c.corners), rng)
    cap = _traffic_cap(nom, rng, quali)
    coast = _lift_and_coast(nom, rng, quali, rules) | _corner_lifts(c, nom, rng, quali)
    dabs = _brake_dabs(nom, rng, 0.1 if quali else 0.5, car["mass"])
    pedal = _zone_pedal(nom, rng, quali)
    part = _part_throttle(nom, rng, quali)
    zones = len(nom.drs_masks)
    enabled = np.ones(zones, bool) if quali else rng.random(zones) < 0.45
    sample_times = _feed_intervals(rng)
    spins = _wheelspins(nom, rng, wet)
    locks = _lockups(nom, rng, mistake)
    # keyword arguments are evaluated in order: the remaining draws happen here, top to bottom
    plan = LapPlan(
        quali=quali,
        car=car,
        corner_delta=delta,
        cap=cap,
        coast=coast,
        pedal=pedal,
        part_throttle=part,
        drs_enabled=enabled,
        drs_delay_m=rng.uniform(15.0, 60.0),
        drs_code=int(_pick(rng, DRS_OPEN, DRS_OPEN_SHARE)),
        drs_base=8 if quali else int(_pick(rng, DRS_CLOSED, DRS_CLOSED_SHARE)),
        upshift=rng.uniform(11500.0, 12100.0),
        downshift=rng.uniform(6000.0, 7500.0),
        gear_scale=rng.uniform(0.97, 1.03),
        brake_lead=rng.uniform(0.0, 0.1),
        intervals=sample_times,
        merged=feed == "merged",
        wheelspins=spins,
        lockups=locks,
        offset=rng.uniform(0.0, 0.3),
        dabs=dabs,
        speed_lag=rng.uniform(0.0, 0.25),
        speed_smooth=rng.uniform(0.03, 0.3),
        era=era,
        energy=_draw_energy(rng, quali, rules),
        brake_downshift=rng.uniform(8500.0, 10800.0),
        stop=_pit_stop(nom, rng, quali, cap),
    )
    # drawn last: the draws above stay what they were before crossings were drawn
    plan.coast |= _crossings(nom, rng, pedal, rules)
    return plan


def _draw_energy(rng: np.random.Generator, quali: bool, rules: Era) -> dict[str, float]:
    """The lap's energy map: how hard the motor deploys, the store's charge at the line and,
    on a car whose store is the limit, whether and when it harvests at full throttle."""
    limited = np.isfinite(rules.store)
    charge = rng.uniform(0.8, 1.0) if quali else rng.uniform(0.35, 0.9)
    super_clips = rng.random() < (0.3 if quali else 0.6)
    window = np.inf
    if rules.deploy_window is not None:  # drawn only then: other eras' laps stay as they were
        window = rng.uniform(*rules.deploy_window[0 if quali else 1])
    return {
        "deploy": rules.electric_power
        * (rng.uniform(0.95, 1.0) if quali else rng.uniform(0.75, 1.0)),
        "allowance": rules.lap_allowance,
        "charge": rules.store * charge if limited else np.inf,
        "capacity": rules.store,
        "harvest": rules.harvest_power * rng.uniform(0.8, 1.0),
        "super_clip": rng.uniform(50e3, 250e3) if (limited and super_clips) else 0.0,
        "reserve": rng.uniform(0.1, 0.6) * MJ,
        "super_clip_kmh": rng.uniform(250.0, 300.0),
        "window": window,
    }


def _draw_car(
    c: Circuit, rng: np.random.Generator, quali: bool, wet: bool, rules: Era
) -> dict[str, float]:
    """The lap's car, tyres and driving style: grip (lower in the wet), fuel load, combustion
    power, aero and how the driver uses the brakes."""
    grip_scale = (
        rng.uniform(0.8, 0.9) if wet else min(max(float(rng.normal(1.0, 0.025)), 0.93), 1.06)
    )
    fuel = rng.uniform(0, 10) if quali else rng.uniform(0, 100)
    return {
        "mass": rules.mass + fuel,
        "power": rules.combustion_power
        * (rng.uniform(0.97, 1.02) if quali else rng.uniform(0.92, 1.0)),
        "cl_a": c.cl_a * rules.downforce * rng.uniform(0.93, 1.07),
        "cd_a": c.cd_a * rng.uniform(0.95, 1.05),
        "grip": GRIP * grip_scale,
        "brake_grip": BRAKE_GRIP * grip_scale * rng.uniform(0.95, 1.03),
        "traction": TRACTION * grip_scale,
        # race laps save brakes, tyres and fuel, and brake in traffic: often well under the limit
        "brake_use": rng.uniform(0.8, 1.0) if quali else rng.uniform(0.55, 0.95),
        "engine_brake": rng.uniform(1500.0, 3000.0),
        # trail braking: every driver tapers into the corner, each lap a little differently;
        # some release the pressure early and trail a long way on a light pedal
        "trail_floor": rng.uniform(0.03, 0.35),
        "trail_span": rng.uniform(4.0, 30.0),
        # most release the brake just above the corner's speed; on some laps the driver lets
        # go early and the car coasts into a fast corner's apex off the pedals
        "release_dv": rng.uniform(0.0, 1.0) if rng.random() < 0.6 else rng.uniform(1.0, 6.0),
        "scrub": rng.uniform(0.02, 0.06),
    }


def _corner_deltas(corners: int, rng: np.random.Generator) -> tuple[np.ndarray, bool]:
    """Per corner, the share of grip the driver uses above or below nominal; on a mistake lap
    one corner is taken much too slowly. Also says whether the lap has that mistake."""
    delta = rng.normal(0.0, 0.015, corners)
    mistake = rng.random() < 0.08
    if mistake:
        delta[rng.integers(corners)] -= rng.uniform(0.08, 0.15)
    return delta, bool(mistake)


def _traffic_cap(nom: Nominal, rng: np.random.Generator, quali: bool) -> np.ndarray:
    """Per grid point, the speed cap (m/s): on some race laps the car is stuck behind a slower
    one for 300-900 m."""
    n = len(nom.v)
    cap = np.full(n, V_CAP)
    if not quali and rng.random() < 0.15:
        start = rng.integers(n)
        span = (start + np.arange(int(rng.uniform(300, 900) / STEP_M))) % n
        cap[span] = nom.v[span] * rng.uniform(0.85, 0.95)
    return cap


def _lift_and_coast(nom: Nominal, rng: np.random.Generator, quali: bool, rules: Era) -> np.ndarray:
    """Per grid point, where the driver lifts and coasts before some fast braking zones (the
    era's chance of a lap with lifts, at most its number of them, each of its duration).

    The mask runs from a point that many seconds before the zone until a little past its
    nominal braking point; the physics ends the coast at this lap's own braking point.
    """
    n = len(nom.v)
    coast = np.zeros(n, dtype=bool)
    fast = np.flatnonzero(nom.brake_entry > 230)
    if len(fast) and rng.random() < rules.coast_chance[0 if quali else 1]:
        most = min(rules.coast_zones, len(fast))
        chosen = rng.choice(fast, size=rng.integers(1, most + 1), replace=False)
        for k in chosen:
            _mark_lift(coast, nom, k, rng.uniform(*rules.coast_seconds))
    return coast


def _mark_lift(coast: np.ndarray, nom: Nominal, zone: int, seconds: float) -> None:
    """Mark in ``coast`` the points the nominal car covers in ``seconds`` before ``zone``'s
    braking point (within 15% of its speed there: see Nominal.coast_times) and a little past
    it (the physics ends the lift at this lap's own braking point)."""
    times = nom.coast_times[zone]
    length = min(int(np.searchsorted(times, seconds)) + 1, len(times))
    coast[(nom.brake_starts[zone] - length + np.arange(length + COAST_PAST)) % len(coast)] = True


#: Seconds off both pedals between the throttle and the brake (the foot crossing over): a
#: short crossing, a late lift (how often each: the era's ``crossing_chances``).
CROSSING_SECONDS = ((0.1, 0.45), (0.45, 0.9))


def _crossings(nom: Nominal, rng: np.random.Generator, pedal: np.ndarray, rules: Era) -> np.ndarray:
    """Per grid point, where the driver is off both pedals before a braking zone (not where
    the zone is taken by lifting, ``pedal`` 0): the gap between the throttle coming off and
    the brake going on, by the era's chances."""
    gap = np.zeros(len(nom.v), dtype=bool)
    kind, where = rng.random((len(nom.brake_starts), 2)).T
    short, late = rules.crossing_chances
    for zone in np.flatnonzero((kind < short + late) & (pedal[nom.brake_starts] > 0)):
        lo, hi = CROSSING_SECONDS[0 if kind[zone] < short else 1]
        _mark_lift(gap, nom, int(zone), lo + where[zone] * (hi - lo))
    return gap


#: The pit lane's speed limit (m/s), its length before the lap's end (m), where the car stops
#: (m before the end) and how hard it brakes into the box (m/s^2).
PIT_SPEED, PIT_LANE_M, PIT_BOX_M, PIT_DECEL = 80 / 3.6, 500.0, 150.0, 6.0


def _pit_stop(
    nom: Nominal, rng: np.random.Generator, quali: bool, cap: np.ndarray
) -> tuple[int, float] | None:
    """On a few laps, an in-lap into the pits: the pit lane's limit over the lap's last
    :data:`PIT_LANE_M` metres (written into ``cap``), a stop in the box (the car brakes to a
    standstill there and pulls away after) and the seconds it stands still: a pit stop of
    2-5 s, or (testing, practice) minutes in the garage with the brake held."""
    if rng.random() >= (0.03 if quali else 0.06):
        return None
    n = len(nom.v)
    box = n - int(PIT_BOX_M / STEP_M)
    pit = slice(n - int(PIT_LANE_M / STEP_M), n)
    metres = np.abs(np.arange(n)[pit] - box) * STEP_M
    cap[pit] = np.minimum(cap[pit], np.minimum(PIT_SPEED, np.sqrt(2 * PIT_DECEL * metres + 1.0)))
    garage = rng.random() < 0.3
    return box, float(rng.uniform(30.0, 600.0) if garage else rng.uniform(2.0, 5.0))


def _part_throttle(nom: Nominal, rng: np.random.Generator, quali: bool) -> np.ndarray:
    """Per grid point, the pedal the driver holds: on some laps (most of them races: saving
    tyres and fuel, stuck behind a car), one or two stretches of 1-3 s on a fast part of the
    lap at 15-97% throttle; else flat out (1)."""
    n = len(nom.v)
    share = np.ones(n)
    fast = np.flatnonzero(nom.v > 200 / 3.6)
    if not len(fast) or rng.random() >= (0.1 if quali else 0.4):
        return share
    for _ in range(int(rng.integers(1, 3))):
        start = int(rng.choice(fast))
        length = max(1, int(nom.v[start] * rng.uniform(1.0, 3.0) / STEP_M))
        share[(start + np.arange(length)) % n] = rng.uniform(0.15, 0.97)
    return share


def _corner_lifts(c: Circuit, nom: Nominal, rng: np.random.Generator, quali: bool) -> np.ndarray:
    """Per grid point, where the driver lifts off the throttle into a fast corner (nominal
    apex speed 150-280 km/h) to settle the car, 0.2-1.5 s, and is back on it after, with no
    braking: on some laps (more in races, on worn tyres), one or two such corners."""
    n = len(nom.v)
    lifts = np.zeros(n, dtype=bool)
    fast = nom.fast_corners
    if not len(fast) or rng.random() >= (0.2 if quali else 0.45):
        return lifts
    geo_s = np.arange(n) * STEP_M
    for k in rng.choice(fast, size=min(len(fast), int(rng.integers(1, 3))), replace=False):
        v = nom.v[nom.apex[k]]
        start = c.corners[k].apex - c.corners[k].arc / 2 - v * rng.uniform(0.0, 0.8)
        length = v * rng.uniform(0.2, 1.5)
        lifts |= (geo_s - start) % c.length < length
    return lifts


def _feed_intervals(rng: np.random.Generator, count: int = 640) -> np.ndarray:
    """Car-data sample times (s after the lap's first sample): a lap's own mix of
    :data:`FEED_INTERVALS`, with a little jitter."""
    p = rng.dirichlet([30.0, 40.0, 40.0, 30.0])
    intervals = _pick(rng, FEED_INTERVALS, p, count) + rng.normal(0, 0.002, count)
    return np.cumsum(intervals)


def _wheelspins(
    nom: Nominal, rng: np.random.Generator, wet: bool
) -> list[tuple[int, float, float]]:
    """Wheelspin at 1-2 slow-corner exits on some laps (more in the wet): grid index,
    duration (s) and RPM gain."""
    spin_rate = (0.6 if wet else 0.3) if len(nom.exits) else 0.0
    if rng.random() >= spin_rate:
        return []
    size = min(len(nom.exits), rng.integers(1, 3))
    return [
        (int(idx), rng.uniform(0.4, 1.2), rng.uniform(700.0, 2500.0))
        for idx in rng.choice(nom.exits, size=size, replace=False)
    ]


def _lockups(
    nom: Nominal, rng: np.random.Generator, mistake: bool
) -> list[tuple[int, float, float]]:
    """A lock-up in one heavy braking zone on some laps (most mistake laps): zone, duration (s)
    and depth (share of the speed)."""
    heavy = np.flatnonzero(nom.brake_entry > 150)
    if not (len(heavy) and rng.random() < (0.8 if mistake else 0.25)):
        return []
    zone = int(rng.choice(heavy))
    return [(zone, rng.uniform(0.35, 0.8), rng.uniform(0.15, 0.35))]


#: Sample intervals (s) of the car-data feed; a lap draws its own mix of them.
FEED_INTERVALS = np.array([0.2, 0.24, 0.28, 0.32])
#: fastf1's DRS codes: open (10/12/14) and closed (0/1), with how often each is seen.
DRS_OPEN, DRS_OPEN_SHARE = np.array([10, 12, 14]), np.array([0.2, 0.6, 0.2])
DRS_CLOSED, DRS_CLOSED_SHARE = np.array([0, 1]), np.array([0.9, 0.1])


def _pick(
    rng: np.random.Generator, values: np.ndarray, p: np.ndarray, size: int | None = None
) -> np.ndarray:
    """``rng.choice(values, size, p=p)`` (the same draws, the same generator state after) without
    its argument checks, which cost more than the draw on this per-lap path."""
    cdf = np.cumsum(p)
    cdf /= cdf[-1]
    return values[cdf.searchsorted(rng.random(size), side="right")]


#: Grid points the lift-and-coast mask reaches past the nominal braking point.
COAST_PAST = 16
#: Seconds a coast would need for a zone's speed drop: drivers always lift instead of braking
#: below the first, never above the second, with a falling chance in between.
LIFT_SECONDS = (0.75, 1.75)
#: Chance that a zone is braked lightly (saving brakes and tyres, following a car), per mode,
#: and the share of the lap's braking then used.
LIGHT_CHANCE = {"quali": 0.05, "race": 0.3}
LIGHT_SHARE = (0.3, 0.7)
#: Grid points after the previous zone's last braking point where a zone's own pedal starts.
ZONE_GAP = 2


def _zone_pedal(nom: Nominal, rng: np.random.Generator, quali: bool) -> np.ndarray:
    """Per grid point, the share of the lap's braking the driver uses in each zone.

    0 where a corner needs so little speed off that the driver lifts instead of braking
    (engine braking, drag and tyre scrub do it: the shorter the coast would be, the surer
    the lift); a light pedal in some zones (more often in races); else 1. A zone's share
    holds from just after the previous zone to its last braking point, so the physics
    places the braking (or the lift) itself.
    """
    n, count = len(nom.v), len(nom.brake_starts)
    draws = rng.random((3, count))
    pedal = np.ones(n)
    lo, hi = LIFT_SECONDS
    lift = draws[0] < np.clip((hi - nom.coast_seconds) / (hi - lo), 0.0, 1.0)
    light = draws[1] < LIGHT_CHANCE["quali" if quali else "race"]
    share = np.where(lift, 0.0, np.where(light, np.interp(draws[2], (0, 1), LIGHT_SHARE), 1.0))
    for k in np.flatnonzero(share < 1.0):
        pedal[nom.zone_points[k]] = share[k]
    return pedal


def _brake_dabs(
    nom: Nominal, rng: np.random.Generator, chance: float, mass: float
) -> list[tuple[int, int, float]]:
    """Brake taps, 1-3 a lap with probability ``chance``, each where drivers tap the pedal:

    - just before a braking zone (split braking), 0.15-0.45 s at 0.6-1.4 g;
    - in the corner after a zone, 0.2-0.8 s after the release (a second application to tighten
      the line, as in corner complexes), 0.15-0.5 s at 0.3-1.0 g;
    - on a fast straight (brake warming, traffic), 0.15-0.45 s at 0.6-1.4 g.
    """
    if rng.random() >= chance or len(nom.brake_starts) == 0:
        return []
    n = len(nom.v)
    out = []
    for _ in range(int(rng.integers(1, 4))):
        where = rng.random()
        seconds, g = rng.uniform(0.15, 0.45), rng.uniform(0.6, 1.4)
        if where < 0.4:
            k = int(rng.integers(len(nom.brake_starts)))
            v = nom.brake_entry[k] / 3.6
            idx = int(nom.brake_starts[k] - v * rng.uniform(0.5, 1.1) / STEP_M) % n
        elif where < 0.7:
            end = int(nom.brake_ends[rng.integers(len(nom.brake_ends))])
            v = nom.v[end]
            idx = int(end + v * rng.uniform(0.2, 0.8) / STEP_M) % n
            seconds, g = rng.uniform(0.15, 0.5), rng.uniform(0.3, 1.0)
        else:
            fast = np.flatnonzero(nom.v > 200 / 3.6)
            if len(fast) == 0:
                continue
            idx = int(rng.choice(fast))
            v = nom.v[idx]
        points = max(1, int(v * seconds / STEP_M))
        out.append((idx, points, mass * G_ACC * g))
    return out


def run_physics(name: str, plans: list[LapPlan]) -> tuple[Profile, np.ndarray]:
    """The physics of a batch of planned laps (one era); also returns the DRS-open mask (all
    False for cars without DRS, whose active aero lowers the drag on every straight)."""
    geo = geometry(name)
    nom = nominal(name)
    rules = ERAS[plans[0].era]
    # einsum, not a BLAS product: each lap's row must not depend on the batch's shape
    factor = 1.0 + np.einsum(
        "bk,kn->bn", np.stack([p.corner_delta for p in plans]), nom.corner_bumps
    )
    cap = np.stack([p.cap for p in plans])
    coast = np.stack([p.coast for p in plans])
    pedal = np.stack([p.pedal for p in plans])
    part = np.stack([p.part_throttle for p in plans])
    drs = drs_window(nom, plans)
    low_drag = drs if rules.drs else np.broadcast_to(np.abs(geo.curvature) < STRAIGHT, drs.shape)
    if not rules.drs:
        drs = np.zeros_like(drs)
    power = np.array([p.car["power"] + p.energy["deploy"] for p in plans])
    v0 = nom.v_start * (power / BASE_POWER) ** (1 / 3)
    n = len(geo.s)
    dab = np.zeros((len(plans), n))
    for b, p in enumerate(plans):
        for idx, points, force in p.dabs:
            dab[b, (idx + np.arange(points)) % n] = force
    car = _car_batch([p.car for p in plans])
    car.power = power
    car.drs_gain = rules.low_drag_gain
    car.energy = EnergyPlan(
        combustion=np.array([p.car["power"] for p in plans]),
        **{k: np.array([p.energy[k] for p in plans]) for k in _ENERGY_KEYS},
        taper_kmh=rules.taper_kmh,
    )
    prof = speed_profile(
        geo.curvature,
        STEP_M,
        car,
        factor,
        cap,
        low_drag,
        coast,
        v0,
        dab,
        pedal,
        part,
    )
    return prof, drs


_ENERGY_KEYS = (
    "deploy",
    "allowance",
    "charge",
    "capacity",
    "harvest",
    "super_clip",
    "reserve",
    "super_clip_kmh",
    "window",
)


def drs_window(nom: Nominal, plans: list[LapPlan]) -> np.ndarray:
    """Where each lap's flap may be open: enabled zones, after the driver's reaction distance."""
    delay = np.array([p.drs_delay_m for p in plans])[:, None]
    return _enabled(nom.drs_masks, plans) & (nom.drs_since[None] >= delay)


def _enabled(zone_masks: np.ndarray, plans: list[LapPlan]) -> np.ndarray:
    """``(laps, points)``: inside one of ``zone_masks`` ``(zones, points)`` that the lap has
    DRS enabled in."""
    enabled = np.stack([p.drs_enabled for p in plans])  # (laps, zones)
    return (enabled[:, :, None] & zone_masks[None]).any(axis=1)


def drs_codes(
    nom: Nominal, plans: list[LapPlan], window: np.ndarray, braking: np.ndarray
) -> np.ndarray:
    """fastf1 DRS codes per grid point: open from the window's start until the first braking."""
    n = window.shape[1]
    idx = np.arange(n)
    zone_start = nom.drs_start_idx
    brake_count = np.cumsum(braking, axis=1)
    at_start = np.where(zone_start >= 0, brake_count[:, np.clip(zone_start, 0, n - 1)], 0)
    wraps = (zone_start > idx) & (zone_start >= 0)
    lap_total = brake_count[:, -1:]
    since = np.where(wraps, brake_count + lap_total - at_start, brake_count - at_start)
    is_open = window & (since == 0)
    # race laps: eligible (8) from the detection point before an enabled zone until it opens
    race = np.array([not p.quali for p in plans])[:, None]
    zones = _enabled(nom.drs_masks, plans)
    eligible = race & (_enabled(nom.drs_detect, plans) | (zones & ~is_open & (since == 0)))
    code = np.array([p.drs_code for p in plans])[:, None]
    base = np.array([p.drs_base for p in plans])[:, None]
    return np.where(is_open, code, np.where(eligible, 8, base)).astype(np.int64)
