"""Sampling a simulated lap the way the real feed does, then injecting hidden events.

fastf1's car data arrives at about 3.7 Hz with jittery intervals (0.20-0.32 s), integer speed
and RPM; its merged telemetry adds position samples (about 7-8 Hz together) with interpolated
float channels. The speed sensor's trace is smoothed and trails the car a little (per lap),
while the pedal flags are exact. Wheelspin (RPM jumps without speed) and lock-ups (a sharper
speed drop with an RPM dip) are added after sampling, and their sample spans are kept as labels.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
from scipy.ndimage import gaussian_filter1d

from telecnn.telemetry.laps.grid import resample
from telecnn.telemetry.laps.schema import CHANNEL_KIND
from telecnn.telemetry.simulate.circuits import STEP_M, Geometry
from telecnn.telemetry.simulate.driver import LapPlan

MIN_RPM = 4000.0


@dataclass(frozen=True)
class FineTrace:
    """One lap as the physics computed it, per grid point: what the feed samples from."""

    v: np.ndarray  # speed (m/s)
    time: np.ndarray  # elapsed time (s)
    lap_time: float
    throttle: np.ndarray  # 0..1
    braking: np.ndarray  # brake flag
    gear: np.ndarray  # 1..8
    rpm_per_kmh: np.ndarray  # per gear (index gear - 1)
    drs: np.ndarray  # fastf1 DRS code
    brake_starts: np.ndarray  # grid index where each braking zone starts


@dataclass(frozen=True)
class CarSamples:
    """The car-data channels at the car feed's sample times ``t`` (before rounding)."""

    t: np.ndarray
    speed: np.ndarray  # km/h, as the speed sensor reports it
    rpm: np.ndarray
    gear: np.ndarray
    throttle: np.ndarray  # %
    brake: np.ndarray  # 0/1
    drs: np.ndarray


def sample_lap(
    geo: Geometry, plan: LapPlan, rng: np.random.Generator, fine: FineTrace
) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """One lap's samples (fastf1 columns) and the sample masks of injected events."""
    t, t_all = _feed_times(plan, rng, fine.lap_time)
    car = _car_channels(plan, rng, fine, t)
    car, spin = _inject_wheelspin(plan, fine, car)
    car, lock = _inject_lockups(plan, rng, fine, car)
    data = _assemble(car, t_all, plan.merged) | _position_channels(geo, fine, t_all)
    if plan.merged:
        spin = _on(t_all, t, spin)
        lock = _on(t_all, t, lock)
    return data, {"wheelspin": spin, "lockup": lock}


def _feed_times(
    plan: LapPlan, rng: np.random.Generator, lap_time: float
) -> tuple[np.ndarray, np.ndarray]:
    """The car feed's sample times within the lap, and every sample time of the feed (the merged
    feed adds position samples, 0.18-0.34 s apart, at ms resolution)."""
    t = plan.offset + plan.intervals
    if t[-1] < lap_time:  # a long lap (a stop in the garage): the lap's intervals again
        steps = np.diff(np.concatenate(([0.0], plan.intervals)))
        t = plan.offset + np.cumsum(np.resize(steps, int(len(steps) * lap_time / t[-1]) + 1))
    t = np.concatenate(([plan.offset], t[t < lap_time]))
    if not plan.merged:
        return t, t
    gaps = rng.uniform(0.18, 0.34, size=int(lap_time / 0.18) + 2)
    pos = np.cumsum(gaps) - rng.uniform(0, 0.2)
    pos = pos[(pos > 0) & (pos < lap_time)]
    return t, np.union1d(t, np.round(pos, 3))


def _car_channels(
    plan: LapPlan, rng: np.random.Generator, fine: FineTrace, t: np.ndarray
) -> CarSamples:
    """The car channels at ``t``: the sensor's speed, RPM from the true speed and gear (with
    noise), throttle (noisy when partial, 0 while braking), the brake flag ``brake_lead`` s
    early, gear and DRS code held from the latest grid point."""
    true_speed = resample(fine.time, fine.v, t, "continuous") * 3.6
    speed = sensor_speed(t, fine.time, fine.v, plan.speed_lag, plan.speed_smooth) * 3.6
    gear = resample(fine.time, fine.gear, t, "discrete")
    rpm = np.maximum(true_speed * fine.rpm_per_kmh[gear - 1], MIN_RPM)
    rpm = rpm + rng.normal(0.0, 40.0, len(t))
    thr = resample(fine.time, fine.throttle, t, "continuous") * 100.0
    partial = (thr > 1.0) & (thr < 99.0)
    thr = np.where(partial, thr + rng.normal(0.0, 1.5, len(t)), thr)
    brake = resample(fine.time, fine.braking, t + plan.brake_lead, "discrete").astype(np.int64)
    thr[brake > 0] = 0.0
    drs = resample(fine.time, fine.drs, t, "discrete")
    return CarSamples(t, speed, rpm, gear, thr, brake, drs)


def _inject_wheelspin(
    plan: LapPlan, fine: FineTrace, car: CarSamples
) -> tuple[CarSamples, np.ndarray]:
    """Each planned wheelspin as an RPM hump (a half sine) from 0.1 s after its grid point;
    also the car samples it touched."""
    t, rpm = car.t, car.rpm
    spin = np.zeros(len(t), bool)
    for grid_idx, dur, gain in plan.wheelspins:
        t0 = fine.time[grid_idx] + 0.1
        inside = (t >= t0) & (t <= t0 + dur)
        hump = np.sin(np.pi * np.clip((t - t0) / dur, 0, 1))
        rpm = rpm + gain * hump * inside
        spin |= inside
    return replace(car, rpm=rpm), spin


def _inject_lockups(
    plan: LapPlan, rng: np.random.Generator, fine: FineTrace, car: CarSamples
) -> tuple[CarSamples, np.ndarray]:
    """Each planned lock-up, starting 0-0.3 s after the zone's first braking sample (0.15 s in):
    the speed drops faster (then recovers) and the RPM dips while the brake is on; also the car
    samples it touched."""
    t, speed, rpm, braked = car.t, car.speed, car.rpm, car.brake > 0
    lock = np.zeros(len(t), bool)
    for zone, dur, depth in plan.lockups:
        t_b = fine.time[fine.brake_starts[zone]]
        after = np.flatnonzero((t > t_b + 0.15) & braked)
        if len(after) == 0:
            continue
        t0 = t[after[0]] + rng.uniform(0.0, 0.3)
        inside = (t >= t0) & (t <= t0 + dur) & braked
        extra = np.clip((t - t0) / dur, 0, None)
        drop = np.where(extra <= 1, extra, np.exp(-(extra - 1) * dur / 0.8)) * depth * 0.25
        speed = speed * (1 - drop * (t >= t0))
        rpm = np.where(inside, rpm * (1 - depth), rpm)
        lock |= inside
    return replace(car, speed=speed, rpm=rpm), lock


def _position_channels(geo: Geometry, fine: FineTrace, t_all: np.ndarray) -> dict[str, np.ndarray]:
    """Distance (m, from the lap's start) and X, Y, Z (fastf1's 1/10 m) at every sample time."""
    s = resample(fine.time, geo.s[: len(fine.time)], t_all, "continuous")
    pos_s = s % (len(geo.s) * STEP_M)
    return {
        "Distance": s,
        "X": np.interp(pos_s, geo.s, geo.x) * 10.0,
        "Y": np.interp(pos_s, geo.s, geo.y) * 10.0,
        "Z": np.interp(pos_s, geo.s, geo.z) * 10.0,
    }


#: Time step (s) of the fine trace the speed sensor's filter runs on.
SENSOR_DT = 0.05


def sensor_speed(
    t: np.ndarray, time: np.ndarray, v: np.ndarray, lag: float, smooth: float
) -> np.ndarray:
    """The speed (same unit as ``v``) a sensor reports at ``t``: ``v`` low-passed (Gaussian,
    ``smooth`` s) and ``lag`` s late."""
    fine = np.arange(0.0, time[-1] + SENSOR_DT, SENSOR_DT)
    trace = np.interp(fine, time, v)
    if smooth > 0:
        trace = gaussian_filter1d(trace, smooth / SENSOR_DT, mode="nearest")
    return np.interp(t - lag, fine, trace)


def _assemble(car: CarSamples, t_all: np.ndarray, merged: bool) -> dict[str, np.ndarray]:
    """The car channels as the feed reports them: rounded at the car samples, or (merged)
    carried onto every sample time by kind (interpolated, or the previous car sample's)."""
    columns = {
        "Speed": np.round(car.speed),
        "RPM": np.round(car.rpm),
        "nGear": car.gear,
        "Throttle": np.clip(np.round(car.throttle), 0, 100),
        "Brake": car.brake,
        "DRS": car.drs,
    }
    if not merged:
        return {"Time": np.round(car.t, 3)} | columns
    return {"Time": t_all} | {
        name: resample(car.t, values, t_all, CHANNEL_KIND[name]) for name, values in columns.items()
    }


def _on(t_all: np.ndarray, t: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """A car-sample mask carried onto merged samples (each takes its previous car sample's)."""
    return resample(t, mask, t_all, "discrete") & (t_all >= t[0])
