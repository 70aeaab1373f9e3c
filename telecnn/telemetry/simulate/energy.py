"""The power unit's electric side: deployment, harvesting and the energy store, per lap.

Each era's rules (:data:`ERAS`) set the split between combustion and electric power and what
limits the electric energy:

- ``2025``: about 560 kW of combustion power plus a 120 kW motor that may deploy 4 MJ a lap
  (the MGU-H keeps the store charged); the energy map deploys for the first seconds of each
  straight only (the lap's window), so on a long straight power drops before the braking
  point and the speed stops rising (the end-of-straight "clipping" of those cars), and once
  the lap's allowance is spent it drops everywhere;
- ``2026``: about 400 kW of combustion power plus a motor of up to 350 kW (fading above
  290 km/h, nothing at 345 km/h) drawing on a 4 MJ store that only braking, lifting and
  coasting refill: at full throttle the store runs dry before the end of a straight and the
  speed plateaus (clipping); with the store low, the motor harvests at full throttle near the
  end of straights and the speed falls (super clipping).

:class:`EnergyState` runs inside the physics' forward pass, one grid point at a time, for a
whole batch of laps (every array is ``(laps,)``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

MJ = 1e6


@dataclass(frozen=True)
class Era:
    """A season's cars: power split, electric limits, aero and how drivers manage energy."""

    name: str
    combustion_power: float  # W at the wheels
    electric_power: float  # W at the wheels, the motor's most
    lap_allowance: float  # J the motor may deploy per lap (inf: the store is the limit)
    store: float  # J the store holds (inf: never the limit)
    harvest_power: float  # W the motor recovers under braking (0: not modelled)
    taper_kmh: tuple[float, float] | None  # deployment fades from the first speed to the second
    drs: bool  # a DRS flap (and its channel); else active aero lowers the drag on straights
    low_drag_gain: float  # share of the drag the flap or the active aero takes off
    mass: float  # kg, car and driver without fuel
    downforce: float  # the circuit's downforce area is scaled by this
    coast_chance: tuple[float, float]  # chance of a lap with lift-and-coast: quali, race
    coast_seconds: tuple[float, float]  # how long a lift before a braking point lasts
    coast_zones: int  # at most this many lifts a lap
    #: Seconds of flat-out driving a straight's deployment lasts, drawn per lap (quali, race:
    #: each a range); None: the motor deploys as long as the energy allows.
    deploy_window: tuple[tuple[float, float], tuple[float, float]] | None = None
    #: Per braking zone, the chance of a short crossing from throttle to brake off both pedals
    #: and of a late lift (their seconds: ``driver.CROSSING_SECONDS``); else none.
    crossing_chances: tuple[float, float] = (0.0, 0.0)


ERAS: dict[str, Era] = {
    "2025": Era(
        name="2025",
        combustion_power=560e3,
        electric_power=120e3,
        lap_allowance=4 * MJ,
        store=np.inf,
        harvest_power=0.0,
        taper_kmh=None,
        drs=True,
        low_drag_gain=0.13,
        mass=798.0,
        downforce=1.0,
        coast_chance=(0.08, 0.4),
        coast_seconds=(0.4, 1.6),
        coast_zones=3,
        deploy_window=((6.0, 14.0), (4.0, 11.0)),
        crossing_chances=(0.35, 0.04),
    ),
    "2026": Era(
        name="2026",
        combustion_power=400e3,
        electric_power=350e3,
        lap_allowance=np.inf,
        store=4 * MJ,
        harvest_power=350e3,
        taper_kmh=(290.0, 345.0),
        drs=False,
        low_drag_gain=0.2,
        mass=768.0,
        downforce=0.85,
        coast_chance=(0.2, 0.75),
        coast_seconds=(0.5, 2.5),
        coast_zones=4,
        # none drawn: the lifts of its energy plan already give the test day's share of zones
        # with the foot off both pedals first (tests/telemetry/test_realism.py)
    ),
}
#: The era simulated when none is asked for: the season that is running.
DEFAULT_ERA = "2026"


@dataclass
class EnergyPlan:
    """One batch's electric numbers per lap (each ``(laps,)``), drawn by the driver module."""

    combustion: np.ndarray  # W
    deploy: np.ndarray  # W the lap's energy map deploys at most
    allowance: np.ndarray  # J the lap may deploy
    charge: np.ndarray  # J in the store at the line
    capacity: np.ndarray  # J
    harvest: np.ndarray  # W under braking
    super_clip: np.ndarray  # W harvested at full throttle once the store is low (0: never)
    reserve: np.ndarray  # J under which the store counts as low
    super_clip_kmh: np.ndarray  # speed above which super clipping may happen
    window: np.ndarray  # s of flat-out driving a straight's deployment lasts (inf: no limit)
    taper_kmh: tuple[float, float] | None


class EnergyState:
    """The store and the lap's allowance as the forward pass advances (one point a step).

    This runs once per grid point for the whole batch, so it does only the arithmetic the era
    needs: the allowance where it is finite, the store where it is, and each harvesting mode
    only when some lap of the batch uses it.
    """

    def __init__(self, plan: EnergyPlan, mass: np.ndarray, step: float) -> None:
        self.plan = plan
        self.step = step
        self.charge = plan.charge.astype(float).copy()
        self.allowance = plan.allowance.astype(float).copy()
        self.by_store = bool(np.isfinite(plan.capacity).any())
        self.by_allowance = bool(np.isfinite(plan.allowance).any())
        self.has_super = plan.super_clip > 0
        self.super_clips = bool(self.has_super.any())
        self.super_watts = plan.super_clip
        self.super_ms = plan.super_clip_kmh / 3.6
        # laps that never super clip never count as low: their reserve is -inf
        self.reserve = np.where(self.has_super, plan.reserve, -np.inf)
        self.half_mass = mass / 2  # kinetic energy per (m/s)^2
        self.coast_watts = 0.25 * plan.harvest
        self.taper = None
        if plan.taper_kmh is not None:
            lo, hi = plan.taper_kmh
            self.taper = (3.6 / (hi - lo), hi / (hi - lo))  # share = b - a v, clipped to 0..1
        self._dt = np.ones(len(mass))
        self._super = np.zeros(len(mass), dtype=bool)
        self.windowed = bool(np.isfinite(plan.window).any())
        self.flat_out = np.zeros(len(mass))  # s driven freely since the last corner or lift

    def power(self, v: np.ndarray) -> np.ndarray:
        """Power (W) at the wheels at full throttle at speed ``v`` (m/s): combustion plus what
        the motor may deploy over the next step, or less where it harvests."""
        p = self.plan
        self._dt = dt = self.step / v
        electric = p.deploy
        if self.taper is not None:
            a, b = self.taper
            share = b - a * v
            np.clip(share, 0.0, 1.0, out=share)
            electric = electric * share
        left = self.charge if self.by_store else None
        if self.by_allowance:
            left = self.allowance if left is None else np.minimum(left, self.allowance)
        if left is not None:
            electric = np.minimum(electric, left / dt)
        if self.windowed:
            electric = np.where(self.flat_out < p.window, electric, 0.0)
        if self.super_clips:
            self._super = (self.charge < self.reserve) & (v >= self.super_ms)
            electric = np.where(self._super, -self.super_watts, electric)
        return p.combustion + electric

    def advance(
        self,
        v: np.ndarray,
        v2: np.ndarray,
        v_next: np.ndarray,
        drive: np.ndarray,
        free: np.ndarray,
        lifting: np.ndarray | None,
    ) -> None:
        """Book the step :meth:`power` was asked for: energy deployed (or harvested at full
        throttle) where the car drove ``drive`` (N) freely, harvested where it slowed for a
        braking point (the kinetic energy lost, up to the motor's power) or lifted."""
        p, dt = self.plan, self._dt
        if self.windowed:
            self.flat_out = np.where(free, self.flat_out + dt, 0.0)
        deployed = drive * v
        deployed -= p.combustion
        np.maximum(deployed, 0.0, out=deployed)
        deployed *= dt
        deployed *= free
        if self.by_allowance:
            self.allowance -= deployed
        if not self.by_store:
            return
        recovered = v_next * v_next
        np.subtract(v2, recovered, out=recovered)
        recovered *= self.half_mass
        np.minimum(recovered, p.harvest * dt, out=recovered)
        np.maximum(recovered, 0.0, out=recovered)
        recovered[free] = 0.0
        gain = recovered
        gain -= deployed
        if self.super_clips:
            gain += self.super_watts * dt * (free & self._super)
        if lifting is not None:
            gain += self.coast_watts * dt * lifting
        self.charge += gain
        np.clip(self.charge, 0.0, p.capacity, out=self.charge)
