"""Point-mass lap physics on a distance grid, vectorised over a batch of laps.

The classic quasi-steady-state method: a lateral-grip speed limit per point (tyre grip grows
with downforce), a backward pass for braking (near 5 g at high speed, less at low speed, and less
while cornering: friction ellipse) and a forward pass for power- and traction-limited acceleration
against drag. Every array is ``(laps, points)``; loops run over points only.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

G = 9.81
AIR_DENSITY = 1.2
ROLLING = 0.012
V_CAP = 400 / 3.6
#: Curvature (1/m) below which a point counts as straight (radius over 5 km).
STRAIGHT = 2e-4


@dataclass
class CarBatch:
    """Per-lap car, tyre and driver parameters (each an array of shape ``(laps,)``)."""

    mass: np.ndarray  # kg, car + driver + fuel
    power: np.ndarray  # W at the wheels
    cl_a: np.ndarray  # downforce area (m^2)
    cd_a: np.ndarray  # drag area (m^2), DRS open takes ``drs_gain`` off
    grip: np.ndarray  # lateral friction coefficient
    brake_grip: np.ndarray  # longitudinal friction coefficient when braking
    traction: np.ndarray  # longitudinal friction coefficient when accelerating
    brake_use: np.ndarray  # share of the braking limit the driver uses (0.85..1)
    engine_brake: np.ndarray  # N of engine braking when off throttle
    drs_gain: float = 0.13

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


def speed_profile(
    curvature: np.ndarray,
    step: float,
    car: CarBatch,
    corner_factor: np.ndarray,
    cap: np.ndarray,
    drs_open: np.ndarray,
    coast: np.ndarray,
    v_start: np.ndarray,
) -> Profile:
    """Speeds round the lap for every car of the batch.

    ``corner_factor`` (laps, points) scales the grip limit (the driver's corner speeds),
    ``cap`` is an extra speed limit in m/s (traffic),
    ``drs_open`` where the flap is open, ``coast`` where the driver lifts and coasts,
    ``v_start`` the speed crossing the line.
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

    # the passes run point by point: keep points on the first axis so each step is contiguous
    lim = np.ascontiguousarray(v_lim.T)
    drag = np.ascontiguousarray(np.broadcast_to(k_drag, v_lim.shape).T)
    coasting = np.ascontiguousarray(coast.T)
    curv = kappa[0]
    n = lim.shape[0]
    mass, kd = car.mass, k_down[:, 0]
    weight = mass * G
    rolling = ROLLING * weight
    brake_mu = car.brake_use * car.brake_grip
    lat_scale = mass / car.grip  # lat share = v^2 kappa / (grip * normal / mass)
    back = np.empty_like(lim)
    back[-1] = lim[-1]
    bent = (curv > STRAIGHT).tolist()  # on straights the whole tyre grip is longitudinal
    any_coast = coasting.any(axis=1).tolist()
    two_step_per_mass = 2 * step / mass
    for i in range(n - 2, -1, -1):
        v2 = back[i + 1] * back[i + 1]
        normal = weight + kd * v2
        grip_force = brake_mu * normal
        if bent[i]:
            lat = np.minimum(v2 * (curv[i] * lat_scale) / normal, 1.0)
            grip_force *= np.sqrt(1.0 - lat * lat)
        decel = grip_force + drag[i] * v2 + rolling
        back[i] = np.minimum(lim[i], np.sqrt(v2 + two_step_per_mass * decel))

    out = np.empty_like(lim)
    out[0] = np.minimum(v_start, back[0])
    power, trac, eb = car.power, car.traction, car.engine_brake
    for i in range(n - 1):
        v = np.maximum(out[i], 1.0)
        v2 = v * v
        normal = weight + kd * v2
        grip_force = trac * normal
        if bent[i]:
            lat = np.minimum(v2 * (curv[i] * lat_scale) / normal, 1.0)
            grip_force *= np.sqrt(1.0 - lat * lat)
        resist = drag[i] * v2 + rolling
        force = np.minimum(power / v, grip_force) - resist
        if any_coast[i]:
            force = np.where(coasting[i], -(resist + eb), force)
        step_v2 = np.maximum(v2 + two_step_per_mass * force, 1.0)
        out[i + 1] = np.minimum(back[i + 1], np.sqrt(step_v2))
    v_out = np.ascontiguousarray(out.T)
    m = car.mass[:, None]

    v_next = np.concatenate((v_out[:, 1:], v_out[:, -1:]), axis=1)
    accel = (v_next**2 - v_out**2) / (2 * step)
    dt = 2 * step / (v_out + v_next)
    time = np.concatenate((np.zeros((len(car), 1)), np.cumsum(dt, axis=1)), axis=1)
    resist = k_drag * v_out**2 + ROLLING * m * G
    coast_acc = -(resist + car.engine_brake[:, None]) / m
    braking = accel < coast_acc - 1.0
    force = m * accel + resist
    throttle = np.clip(force * v_out / car.power[:, None], 0.0, 1.0)
    throttle[braking | coast | (accel < 0)] = 0.0
    return Profile(
        v=v_out,
        accel=accel,
        time=time[:, :-1],
        lap_time=time[:, -1],
        braking=braking,
        throttle=throttle,
    )


def gears(
    v_kmh: np.ndarray,
    top_speeds: np.ndarray,
    upshift: np.ndarray,
    downshift: np.ndarray,
    rev_limit: float,
) -> np.ndarray:
    """Gear per point with hysteresis: hold a gear until its RPM passes ``upshift`` (per lap),
    drop one when it falls below ``downshift`` (per lap; never into over-revving).

    ``top_speeds`` are the speeds (km/h) of gears 1..8 at ``rev_limit``.
    """
    per_gear = rev_limit / top_speeds  # rpm per km/h in each gear
    up = upshift[:, None]
    low = downshift[:, None]
    rpm_all = v_kmh[:, :, None] * per_gear[None, None, :]  # laps, points, gears
    need_up = (rpm_all <= up[:, :, None]).argmax(axis=2) + 1  # lowest gear under the upshift rpm
    need_up = np.where((rpm_all <= up[:, :, None]).any(axis=2), need_up, len(top_speeds))
    ok_low = rpm_all >= low[:, :, None]
    allow = np.where(ok_low.any(axis=2), len(top_speeds) - ok_low[:, :, ::-1].argmax(axis=2), 1)
    out = np.empty(v_kmh.shape, dtype=np.int64)
    g = need_up[:, 0]
    for i in range(v_kmh.shape[1]):
        g = np.minimum(np.maximum(g, need_up[:, i]), np.maximum(allow[:, i], need_up[:, i]))
        out[:, i] = g
    return out
