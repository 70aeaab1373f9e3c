"""Point-mass lap physics on a distance grid, vectorised over a batch of laps.

The classic quasi-steady-state method: a lateral-grip speed limit per point (tyre grip grows
with downforce), a backward pass for braking (near 5 g at high speed, less at low speed, and less
while cornering: friction ellipse) and a forward pass for power- and traction-limited acceleration
against drag. Every array is ``(laps, points)``; loops run over points only.

Braking is driven the way racing drivers brake: full pressure at first, then trail braking, the
pressure (and deceleration) tapering towards ``trail_floor`` of the limit as the speed nears the
corner's, and released a little before the corner's minimum speed, which the car reaches
off the pedals (engine braking, drag and the tyres' cornering drag, ``scrub`` of the lateral
force). Per point, ``pedal`` scales the pressure: a light pedal in some zones, none at all
where the driver slows for a corner by lifting. Brake dabs (``dab``: an extra braking force
in N) model taps on straights.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from telecnn.telemetry.simulate.energy import EnergyPlan, EnergyState

G = 9.81
AIR_DENSITY = 1.2
ROLLING = 0.012
V_CAP = 400 / 3.6
#: Deceleration (m/s^2) beyond coasting from which the brake flag is on: the pedal switch
#: reports light trail-braking pressure too.
BRAKE_FLAG = 0.3
#: Curvature (1/m) below which a point counts as straight (radius over 5 km).
STRAIGHT = 2e-4


@dataclass
class CarBatch:
    """Per-lap car, tyre and driver parameters (each an array of shape ``(laps,)``)."""

    mass: np.ndarray  # kg, car + driver + fuel
    power: np.ndarray  # W at the wheels (without ``energy``; with it, what its maps allow)
    cl_a: np.ndarray  # downforce area (m^2)
    cd_a: np.ndarray  # drag area (m^2), DRS open takes ``drs_gain`` off
    grip: np.ndarray  # lateral friction coefficient
    brake_grip: np.ndarray  # longitudinal friction coefficient when braking
    traction: np.ndarray  # longitudinal friction coefficient when accelerating
    brake_use: np.ndarray  # share of the braking limit the driver uses (0.85..1)
    engine_brake: np.ndarray  # N of engine braking when off throttle
    trail_floor: np.ndarray  # share of the braking limit left at the end of trail braking
    trail_span: np.ndarray  # m/s above the release speed over which the pressure tapers
    release_dv: np.ndarray  # m/s above the corner's speed where the brake is released
    scrub: np.ndarray  # cornering drag as a share of the lateral force
    drs_gain: float = 0.13  # share of the drag taken off where ``drs_open`` (flap or active aero)
    energy: EnergyPlan | None = None  # the electric side, when modelled

    def __len__(self) -> int:
        return len(self.mass)


@dataclass
class Profile:
    """The physics result: speed (m/s) per grid point, the acceleration towards the next point
    (m/s^2), elapsed time (s) at every point plus the lap time, and drive / braking flags."""

    v: np.ndarray
    accel: np.ndarray
    time: np.ndarray
    lap_time: np.ndarray
    braking: np.ndarray
    throttle: np.ndarray  # 0..1
    coast: np.ndarray  # where the driver lifted and coasted
    coast_accel: np.ndarray  # m/s^2 the car would have off the pedals (negative)


def speed_profile(
    curvature: np.ndarray,
    step: float,
    car: CarBatch,
    corner_factor: np.ndarray,
    cap: np.ndarray,
    drs_open: np.ndarray,
    coast: np.ndarray,
    v_start: np.ndarray,
    dab: np.ndarray | None = None,
    pedal: np.ndarray | None = None,
    part_throttle: np.ndarray | None = None,
) -> Profile:
    """Speeds round the lap for every car of the batch.

    ``corner_factor`` (laps, points) scales the grip limit (the driver's corner speeds),
    ``cap`` is an extra speed limit in m/s (traffic),
    ``drs_open`` where the flap is open, ``coast`` where the driver may lift and coast (from
    its start until the braking point, never past it), ``v_start`` the speed crossing the
    line, ``dab`` an extra braking force (N) where the driver taps the brakes, ``pedal`` the
    share of its braking the driver uses per point (0: slowing off the pedals instead),
    ``part_throttle`` the pedal the driver holds per point (1: flat out; the power asked for is
    its square: the progressive pedal map of a racing engine, so 60% pedal is 36% power).
    """
    kappa = np.abs(curvature)[None, :]
    m = car.mass[:, None]
    k_down = 0.5 * AIR_DENSITY * car.cl_a[:, None]
    k_drag = 0.5 * AIR_DENSITY * car.cd_a[:, None] * (1 - car.drs_gain * drs_open)
    grip = car.grip[:, None]
    with np.errstate(divide="ignore", invalid="ignore"):
        denom = m * kappa - grip * k_down
        v_lat = np.where(denom > 0, np.sqrt(grip * m * G / np.where(denom > 0, denom, 1)), V_CAP)
    v_lim = np.minimum(np.minimum(v_lat * corner_factor, cap), V_CAP)
    # drag per v^2: aero drag plus the tyres' cornering drag (scrub share of m v^2 kappa)
    k_res = k_drag + car.scrub[:, None] * m * kappa

    # the passes run point by point: keep points on the first axis so each step is contiguous
    lim = np.ascontiguousarray(v_lim.T)
    res = np.ascontiguousarray(np.broadcast_to(k_res, v_lim.shape).T)
    coasting = np.ascontiguousarray(coast.T)
    use = np.ones_like(lim) if pedal is None else np.ascontiguousarray(pedal.T)
    curv = kappa[0]
    n = lim.shape[0]
    mass, kd = car.mass, k_down[:, 0]
    weight = mass * G
    rolling = ROLLING * weight
    eb = car.engine_brake
    off = rolling + eb
    brake_mu = car.brake_use * car.brake_grip
    floor, release = car.trail_floor, car.release_dv
    keep, per_span = 1.0 - floor, 1.0 / car.trail_span
    lat_scale = mass / car.grip  # lat share = v^2 kappa / (grip * normal / mass)
    back = np.empty_like(lim)
    back[-1] = lim[-1]
    anchor = lim[-1].copy()  # the speed the braking ends at: where the limit last bound
    # per point: lateral load per (v^2 / normal), or None on straights (all grip longitudinal)
    lat_k = [c * lat_scale if c > STRAIGHT else None for c in curv.tolist()]
    two_step_per_mass = 2 * step / mass
    for i in range(n - 2, -1, -1):
        v_next = back[i + 1]
        v2 = v_next * v_next
        normal = weight + kd * v2
        grip_force = _longitudinal_grip(brake_mu, normal, v2, lat_k[i])
        # trail braking: off the pedal just above the corner's speed, then a taper to full
        over = v_next - anchor - release
        share = np.where(over < 0.0, 0.0, floor + keep * np.minimum(over * per_span, 1.0))
        share *= use[i]
        decel = grip_force * share + res[i] * v2 + off
        reach = np.sqrt(v2 + two_step_per_mass * decel)
        np.minimum(lim[i], reach, out=back[i])
        anchor = np.where(lim[i] <= reach, lim[i], anchor)

    out = np.empty_like(lim)
    out[0] = np.minimum(v_start, back[0])
    power, trac = car.power, car.traction
    energy = None if car.energy is None else EnergyState(car.energy, mass, step)
    full_power = np.empty_like(lim)  # W at full throttle at each point
    full_power[:] = power
    any_coast = coasting.any(axis=1).tolist()
    used = np.zeros_like(coasting)
    none_ended = np.zeros(len(mass), dtype=bool)
    ended = none_ended
    dabs = None
    any_dab = [False] * n
    if dab is not None:
        dabs = np.ascontiguousarray(dab.T)
        any_dab = (dabs > 0).any(axis=1).tolist()
    parts = None
    any_part = [False] * n
    if part_throttle is not None:
        parts = np.ascontiguousarray(part_throttle.T)
        any_part = (parts < 1).any(axis=1).tolist()
    for i in range(n - 1):
        v = np.maximum(out[i], 1.0)
        v2 = v * v
        normal = weight + kd * v2
        grip_force = _longitudinal_grip(trac, normal, v2, lat_k[i])
        resist = res[i] * v2 + rolling
        if energy is not None:
            power = full_power[i] = energy.power(v)
        asked = power * parts[i] ** 2 if any_part[i] else power  # the pedal map (below)
        drive = np.minimum(asked / v, grip_force)
        force = drive - resist
        lifting = None
        if any_coast[i]:
            lifting = coasting[i] & ~ended
            force = np.where(lifting, -(resist + eb), force)
            used[i] = lifting
        if any_dab[i]:
            force = np.where(dabs[i] > 0, -(resist + eb + dabs[i]), force)
        reach = np.sqrt(np.maximum(v2 + two_step_per_mass * force, 1.0))
        out[i + 1] = np.minimum(back[i + 1], reach)
        if energy is not None:
            free = back[i + 1] >= reach
            if lifting is not None:
                free &= ~lifting
            if any_dab[i]:
                free &= dabs[i] <= 0
            energy.advance(v, v2, out[i + 1], drive, free, lifting)
        # a coast ends where the braking starts; outside coast zones nothing has ended (each
        # lap's own zones only: the result must not depend on the other laps of the batch)
        ended = coasting[i] & (ended | (back[i + 1] < reach)) if any_coast[i] else none_ended
    v_out = np.ascontiguousarray(out.T)
    coast_used = np.ascontiguousarray(used.T)

    v_next = np.concatenate((v_out[:, 1:], v_out[:, -1:]), axis=1)
    accel = (v_next**2 - v_out**2) / (2 * step)
    dt = 2 * step / (v_out + v_next)
    time = np.concatenate((np.zeros((len(car), 1)), np.cumsum(dt, axis=1)), axis=1)
    resist = k_res * v_out**2 + ROLLING * m * G
    coast_acc = -(resist + car.engine_brake[:, None]) / m
    braking = accel < coast_acc - BRAKE_FLAG
    force = m * accel + resist
    power_share = np.clip(force * v_out / np.ascontiguousarray(full_power.T), 0.0, 1.0)
    throttle = np.sqrt(power_share)  # the pedal map: power grows with the pedal's square
    # off the throttle where braking or coasting; a car slowing under drag at full power
    # (above its top speed) keeps its throttle
    throttle[braking | coast_used | (force <= 0)] = 0.0
    return Profile(
        v=v_out,
        accel=accel,
        time=time[:, :-1],
        lap_time=time[:, -1],
        braking=braking,
        throttle=throttle,
        coast=coast_used,
        coast_accel=coast_acc,
    )


def _longitudinal_grip(
    mu: np.ndarray, normal: np.ndarray, v2: np.ndarray, lat_k: np.ndarray | None
) -> np.ndarray:
    """Force (N) the tyres can give along the car: ``mu`` of the load, less what cornering
    takes (friction ellipse; ``lat_k`` turns ``v2 / normal`` into the lateral share)."""
    grip = mu * normal
    if lat_k is not None:
        lat = np.minimum(v2 * lat_k / normal, 1.0)
        grip *= np.sqrt(1.0 - lat * lat)
    return grip


#: The lowest gear drivers shift down into early under braking.
EARLY_FROM = 3


def gears(
    v_kmh: np.ndarray,
    top_speeds: np.ndarray,
    upshift: np.ndarray,
    downshift: np.ndarray,
    rev_limit: float,
    early: tuple[np.ndarray, np.ndarray] | None = None,
) -> np.ndarray:
    """Gear per point with hysteresis: hold a gear until its RPM passes ``upshift`` (per lap),
    drop one when it falls below ``downshift`` (per lap; never into over-revving). ``early``:
    per lap the rpm drivers shift down at under braking (early, for engine braking) and per
    point whether they brake; it applies down to third gear, never into first or second.

    ``top_speeds`` are the speeds (km/h) of gears 1..8 at ``rev_limit``.
    """
    per_gear = rev_limit / top_speeds  # rpm per km/h in each gear (falling with the gear)
    count = len(top_speeds)
    up = upshift[:, None]
    down = downshift[:, None]
    down_braking = down if early is None else np.where(early[1], early[0][:, None], down)
    # lowest gear under the upshift rpm (top gear when none): 1 + gears whose limit is passed
    need_up = np.ones(v_kmh.shape, dtype=np.int64)
    allow = np.ones(v_kmh.shape, dtype=np.int64)  # highest gear at or above the downshift rpm
    for g in range(count - 1):
        need_up += v_kmh * per_gear[g] > up
    for g in range(1, count):
        allow += v_kmh * per_gear[g] >= (down if g < EARLY_FROM - 1 else down_braking)
    high = np.maximum(allow, need_up)
    out = np.empty(v_kmh.shape, dtype=np.int64)
    g = need_up[:, 0]
    for i in range(v_kmh.shape[1]):
        g = np.minimum(np.maximum(g, need_up[:, i]), high[:, i])
        out[:, i] = g
    return out
