"""Sampling a simulated lap the way the real feed does, then injecting hidden events.

fastf1's car data arrives at about 3.7 Hz with jittery intervals (0.20-0.32 s), integer speed
and RPM; its merged telemetry adds position samples (about 7-8 Hz together) with interpolated
float channels. The speed sensor's trace is smoothed and trails the car a little (per lap),
while the pedal flags are exact. Wheelspin (RPM jumps without speed) and lock-ups (a sharper
speed drop with an RPM dip) are added after sampling, and their sample spans are kept as labels.
"""

from __future__ import annotations

import numpy as np
from scipy.ndimage import gaussian_filter1d

from telecnn.telemetry.grid import previous_index
from telecnn.telemetry.simulate.circuits import STEP_M, Geometry
from telecnn.telemetry.simulate.driver import LapPlan

MIN_RPM = 4000.0


def sample_lap(
    geo: Geometry,
    plan: LapPlan,
    rng: np.random.Generator,
    v: np.ndarray,
    time: np.ndarray,
    lap_time: float,
    throttle: np.ndarray,
    braking: np.ndarray,
    gear: np.ndarray,
    rpm_per_kmh: np.ndarray,
    drs: np.ndarray,
    brake_starts: np.ndarray,
) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """One lap's samples (fastf1 columns) and the sample masks of injected events."""
    t = plan.offset + plan.intervals
    t = np.concatenate(([plan.offset], t[t < lap_time]))
    if plan.merged:
        pos = np.cumsum(rng.uniform(0.18, 0.34, size=int(lap_time / 0.18) + 2)) - rng.uniform(
            0, 0.2
        )
        pos = pos[(pos > 0) & (pos < lap_time)]
        t_all = np.union1d(t, np.round(pos, 3))
    else:
        t_all = t

    idx = previous_index(time, t)
    lead = previous_index(time, t + plan.brake_lead)
    true_speed = np.interp(t, time, v) * 3.6
    speed = sensor_speed(t, time, v, plan.speed_lag, plan.speed_smooth) * 3.6
    g = gear[idx]
    rpm = np.maximum(true_speed * rpm_per_kmh[g - 1], MIN_RPM) + rng.normal(0.0, 40.0, len(t))
    thr = np.interp(t, time, throttle) * 100.0
    partial = (thr > 1.0) & (thr < 99.0)
    thr = np.where(partial, thr + rng.normal(0.0, 1.5, len(t)), thr)
    brake = braking[lead].astype(np.int64)
    thr[brake > 0] = 0.0
    code = drs[idx]

    spin = np.zeros(len(t), bool)
    for grid_idx, dur, gain in plan.wheelspins:
        t0 = time[grid_idx] + 0.1
        inside = (t >= t0) & (t <= t0 + dur)
        hump = np.sin(np.pi * np.clip((t - t0) / dur, 0, 1))
        rpm = rpm + gain * hump * inside
        spin |= inside
    lock = np.zeros(len(t), bool)
    for zone, dur, depth in plan.lockups:
        start = brake_starts[zone]
        t_b = time[start]
        after = np.flatnonzero((t > t_b + 0.15) & (brake > 0))
        if len(after) == 0:
            continue
        t0 = t[after[0]] + rng.uniform(0.0, 0.3)
        inside = (t >= t0) & (t <= t0 + dur) & (brake > 0)
        extra = np.clip((t - t0) / dur, 0, None)
        drop = np.where(extra <= 1, extra, np.exp(-(extra - 1) * dur / 0.8)) * depth * 0.25
        speed = speed * (1 - drop * (t >= t0))
        rpm = np.where(inside, rpm * (1 - depth), rpm)
        lock |= inside

    s = np.interp(t_all, time, geo.s[: len(time)])
    data = _assemble(t, t_all, speed, rpm, g, thr, brake, code, plan.merged)
    pos_s = s % (len(geo.s) * STEP_M)
    data["Distance"] = s
    data["X"] = np.interp(pos_s, geo.s, geo.x) * 10.0
    data["Y"] = np.interp(pos_s, geo.s, geo.y) * 10.0
    data["Z"] = np.interp(pos_s, geo.s, geo.z) * 10.0
    if plan.merged:
        spin = _on(t_all, t, spin)
        lock = _on(t_all, t, lock)
    return data, {"wheelspin": spin, "lockup": lock}


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


def _assemble(t, t_all, speed, rpm, gear, thr, brake, code, merged) -> dict[str, np.ndarray]:
    thr = np.clip(np.round(thr), 0, 100)
    if not merged:
        return {
            "Time": np.round(t, 3),
            "Speed": np.round(speed),
            "RPM": np.round(rpm),
            "nGear": gear,
            "Throttle": thr,
            "Brake": brake,
            "DRS": code,
        }
    prev = previous_index(t, t_all)
    return {
        "Time": t_all,
        "Speed": np.interp(t_all, t, np.round(speed)),
        "RPM": np.interp(t_all, t, np.round(rpm)),
        "nGear": gear[prev],
        "Throttle": np.interp(t_all, t, thr),
        "Brake": brake[prev],
        "DRS": code[prev],
    }


def _on(t_all: np.ndarray, t: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """A car-sample mask carried onto merged samples (each takes its previous car sample's)."""
    prev = previous_index(t, t_all)
    return mask[prev] & (t_all >= t[0])
