"""A physics-based lap simulator with exact ground-truth events.

>>> from telecnn.telemetry.simulate import simulate_laps
>>> laps = simulate_laps("monza", 10, seed=1)      # list of Lap, each with .truth

Laps are simulated in batches (the physics is vectorised over laps) under one era's rules
(``era="2026"``, the default: no DRS, half the power electric and energy-limited; ``"2025"``:
DRS and a small motor; see :mod:`.energy`), sampled like fastf1's car
data (``feed="car"``, about 3.7 Hz) or merged telemetry (``feed="merged"``, about 7-8 Hz), and
labelled by the rules plus the injected wheelspin and lock-ups. Deterministic by seed: lap k of a
seed is the same whatever ``n`` or ``batch`` is.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from telecnn.errors import TelecnnError
from telecnn.progress import progress_bar
from telecnn.telemetry.laps.schema import Lap, LapMeta
from telecnn.telemetry.simulate.circuits import CIRCUITS, geometry, get_circuit
from telecnn.telemetry.simulate.driver import (
    GEAR_SPREAD,
    REV_LIMIT,
    drs_codes,
    nominal,
    plan_lap,
    run_physics,
)
from telecnn.telemetry.simulate.energy import DEFAULT_ERA, ERAS
from telecnn.telemetry.simulate.labels import truth_events
from telecnn.telemetry.simulate.physics import gears
from telecnn.telemetry.simulate.sampling import FineTrace, sample_lap

MODES = ("mixed", "quali", "race")
FEEDS = ("car", "merged")
BATCH = 256

__all__ = [
    "CIRCUITS",
    "DEFAULT_ERA",
    "ERAS",
    "FEEDS",
    "MODES",
    "iter_laps",
    "simulate_lap",
    "simulate_laps",
]


def simulate_laps(
    circuit: str,
    n: int,
    seed: int = 0,
    mode: str = "mixed",
    feed: str = "car",
    batch: int = BATCH,
    progress: bool = False,
    first_lap: int = 1,
    era: str = DEFAULT_ERA,
) -> list[Lap]:
    """``n`` simulated laps of ``circuit`` (see :data:`CIRCUITS`), each with ``truth`` events."""
    return list(iter_laps(circuit, n, seed, mode, feed, batch, progress, first_lap, era))


def simulate_lap(circuit: str, seed: int = 0, lap_number: int = 1, **kwargs) -> Lap:
    """One simulated lap (lap ``lap_number`` of the seed's sequence)."""
    return simulate_laps(circuit, 1, seed, first_lap=lap_number, **kwargs)[0]


def iter_laps(
    circuit: str,
    n: int,
    seed: int = 0,
    mode: str = "mixed",
    feed: str = "car",
    batch: int = BATCH,
    progress: bool = False,
    first_lap: int = 1,
    era: str = DEFAULT_ERA,
) -> Iterator[Lap]:
    """Simulated laps one by one, computed ``batch`` at a time."""
    c = get_circuit(circuit)
    if mode not in MODES:
        raise TelecnnError(f"unknown simulation mode {mode!r}: choose one of {', '.join(MODES)}")
    if feed not in FEEDS:
        raise TelecnnError(f"unknown feed {feed!r}: choose one of {', '.join(FEEDS)}")
    era = str(era)
    if era not in ERAS:
        raise TelecnnError(f"unknown era {era!r}: choose one of {', '.join(ERAS)}")
    if n < 0:
        raise TelecnnError(f"number of laps must be positive, got {n}")
    bar = progress_bar(what=f"simulating {c.name}", unit="lap", total=n, show=progress)
    try:
        for lo in range(0, n, max(1, batch)):
            numbers = range(first_lap + lo, first_lap + min(n, lo + batch))
            yield from _batch(c.name, list(numbers), seed, mode, feed, era)
            bar.update(len(numbers))
    finally:
        bar.close()


def _stand_still(prof, b: int, at: int, seconds: float) -> None:
    """Lap ``b`` of the profile stands still from grid point ``at`` to the next for ``seconds``
    more (the brake held, off the throttle): every later point happens that much later."""
    prof.time[b, at + 1 :] += seconds
    prof.lap_time[b] += seconds
    box = slice(at, at + 2)
    prof.braking[b, box] = True
    prof.throttle[b, box] = 0.0
    prof.v[b, box] = 0.0


def _batch(name: str, numbers: list[int], seed: int, mode: str, feed: str, era: str) -> list[Lap]:
    c = get_circuit(name)
    geo = geometry(name)
    nom = nominal(name)
    rngs = [np.random.default_rng([abs(int(seed)), k]) for k in numbers]
    plans = [plan_lap(name, rng, mode, feed, era) for rng in rngs]
    prof, window = run_physics(name, plans)
    for b, plan in enumerate(plans):
        if plan.stop is not None:
            _stand_still(prof, b, *plan.stop)
    v_kmh = prof.v * 3.6
    scale = np.array([p.gear_scale for p in plans])
    top = c.top_gear_kmh * GEAR_SPREAD
    # gearing varies a little per lap; shift points scale with it
    gear = gears(
        v_kmh / scale[:, None],
        top,
        np.array([p.upshift for p in plans]),
        np.array([p.downshift for p in plans]),
        REV_LIMIT,
        (np.array([p.brake_downshift for p in plans]), prof.braking),
    )
    codes = drs_codes(nom, plans, window, prof.braking)
    if not ERAS[era].drs:
        codes[:] = 0  # no flap: the feed's DRS channel reads 0 throughout
    columns, injected = [], []
    for b, (plan, rng) in enumerate(zip(plans, rngs, strict=True)):
        fine = FineTrace(
            v=prof.v[b],
            time=prof.time[b],
            lap_time=float(prof.lap_time[b]),
            throttle=prof.throttle[b],
            braking=prof.braking[b],
            gear=gear[b],
            rpm_per_kmh=REV_LIMIT / (top * plan.gear_scale),
            drs=codes[b],
            brake_starts=nom.brake_starts,
        )
        data, hidden = sample_lap(geo, plan, rng, fine)
        columns.append(data)
        injected.append(hidden)
    truths = truth_events(columns, injected)
    return [
        Lap.from_columns(
            data,
            LapMeta(
                year=int(era),
                event=name,
                session="Q" if plan.quali else "R",
                driver="SIM",
                lap_number=k,
                lap_time=round(float(lap_time), 3),
                source="sim",
                circuit=name,
            ),
            truth,
        )
        for k, plan, data, truth, lap_time in zip(
            numbers, plans, columns, truths, prof.lap_time, strict=True
        )
    ]
