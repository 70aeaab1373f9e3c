"""Built-in circuits as corner lists (curvature profiles) with DRS zones and a car setup.

Corners are approximate (apex distance, radius, turning angle) from general knowledge of each
track's character, not traced from data: ``monza`` is a low-downforce power track, ``barcelona``
a technical all-rounder and ``monaco`` a tight, high-downforce street circuit.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import numpy as np
from scipy.ndimage import gaussian_filter1d

from telecnn.errors import TelecnnError

#: The distance step (m) of the physics grid.
STEP_M = 5.0


@dataclass(frozen=True)
class Corner:
    """One corner: where its apex is (m from the line), its radius (m) and turn (deg, + = left)."""

    apex: float
    radius: float
    angle: float

    @property
    def arc(self) -> float:
        """Length (m) of the corner's arc."""
        return self.radius * float(np.radians(abs(self.angle)))


@dataclass(frozen=True)
class Circuit:
    """A closed track: length, corners, DRS zones (start, end in m; start > end wraps the line),
    the car's setup for it (downforce and drag areas, 8th-gear top speed) and elevation range."""

    name: str
    length: float
    corners: tuple[Corner, ...]
    drs_zones: tuple[tuple[float, float], ...]
    cl_a: float
    cd_a: float
    top_gear_kmh: float
    elevation_m: float
    character: str


def _c(*rows: tuple[float, float, float]) -> tuple[Corner, ...]:
    return tuple(Corner(*r) for r in rows)


CIRCUITS: dict[str, Circuit] = {
    "monza": Circuit(
        name="monza",
        length=5793.0,
        corners=_c(
            (820, 15, -80),
            (880, 18, 70),  # Rettifilo
            (1450, 350, -85),  # Curva Grande
            (2150, 20, 60),
            (2205, 22, -60),  # Roggia
            (2650, 110, -90),
            (2900, 85, -70),  # Lesmo 1 and 2
            (3400, 600, 15),  # Serraglio kink
            (4150, 70, 45),
            (4230, 60, -60),
            (4330, 120, 30),  # Ascari
            (5000, 90, -95),
            (5190, 220, -40),  # Parabolica
        ),
        drs_zones=((5450.0, 700.0), (3050.0, 4050.0)),
        cl_a=3.6,
        cd_a=1.30,
        top_gear_kmh=352.0,
        elevation_m=12.0,
        character="power",
    ),
    "barcelona": Circuit(
        name="barcelona",
        length=4657.0,
        corners=_c(
            (690, 50, -70),
            (800, 60, 80),  # Elf
            (1150, 150, -150),  # Renault
            (1600, 70, -100),
            (1900, 45, 100),  # Repsol, Seat
            (2300, 60, 60),
            (2370, 70, -60),
            (2750, 160, -90),  # Campsa
            (3300, 20, 150),  # La Caixa
            (3500, 110, 40),
            (3650, 70, -110),
            (4050, 80, -90),
            (4200, 60, -70),
            (4400, 140, -50),  # final corner
        ),
        drs_zones=((4500.0, 640.0), (2900.0, 3230.0)),
        cl_a=5.0,
        cd_a=1.75,
        top_gear_kmh=335.0,
        elevation_m=30.0,
        character="technical",
    ),
    "monaco": Circuit(
        name="monaco",
        length=3337.0,
        corners=_c(
            (300, 18, -90),  # Sainte Devote
            (500, 200, 20),
            (650, 250, -20),  # Beau Rivage
            (900, 45, 110),  # Massenet
            (1050, 30, -80),  # Casino
            (1300, 16, -100),  # Mirabeau
            (1450, 9, 180),  # hairpin
            (1550, 18, -90),
            (1650, 20, -90),  # Mirabeau Bas, Portier
            (1900, 250, -60),  # tunnel
            (2250, 15, 60),
            (2290, 15, -60),  # Nouvelle Chicane
            (2550, 45, 70),  # Tabac
            (2700, 35, 45),
            (2750, 35, -45),  # Swimming Pool in
            (2880, 22, -50),
            (2930, 22, 50),  # Swimming Pool out
            (3100, 14, -120),  # Rascasse
            (3230, 20, -90),  # Anthony Noghes
        ),
        drs_zones=((3280.0, 200.0),),
        cl_a=5.6,
        cd_a=2.0,
        top_gear_kmh=300.0,
        elevation_m=40.0,
        character="street",
    ),
}


def get_circuit(name: str) -> Circuit:
    """The built-in circuit called ``name`` (case-insensitive)."""
    key = str(name).strip().lower()
    if key not in CIRCUITS:
        raise TelecnnError(f"unknown circuit {name!r}: choose one of {', '.join(CIRCUITS)}")
    return CIRCUITS[key]


@dataclass(frozen=True)
class Geometry:
    """A circuit sampled every :data:`STEP_M` metres: distance, curvature (1/m), X/Y/Z (m)."""

    s: np.ndarray
    curvature: np.ndarray
    x: np.ndarray
    y: np.ndarray
    z: np.ndarray


@cache
def geometry(name: str) -> Geometry:
    """The centre line of a circuit from its corner list (computed once per circuit).

    Curvature is a smoothed box per corner (clothoid-like entries); integrating it gives the
    heading and X/Y, with the small closure error spread linearly so the track is a loop.
    """
    c = get_circuit(name)
    s = np.arange(0.0, c.length, STEP_M)
    kappa = np.zeros_like(s)
    for corner in c.corners:
        inside = np.abs(wrap_delta(s - corner.apex, c.length)) <= corner.arc / 2
        kappa[inside] += np.sign(corner.angle) / corner.radius
    kappa = gaussian_filter1d(kappa, sigma=3.0, mode="wrap")
    heading = np.concatenate(([0.0], np.cumsum(kappa[:-1]) * STEP_M))
    turn = heading[-1] + kappa[-1] * STEP_M
    heading -= (turn - np.sign(turn) * 2 * np.pi) * s / c.length
    x = np.concatenate(([0.0], np.cumsum(np.cos(heading[:-1])) * STEP_M))
    y = np.concatenate(([0.0], np.cumsum(np.sin(heading[:-1])) * STEP_M))
    end_x, end_y = x[-1] + np.cos(heading[-1]) * STEP_M, y[-1] + np.sin(heading[-1]) * STEP_M
    x -= end_x * s / c.length
    y -= end_y * s / c.length
    z = (
        c.elevation_m
        / 2
        * (np.sin(2 * np.pi * s / c.length + 1.0) + 0.3 * np.sin(6 * np.pi * s / c.length))
    )
    return Geometry(s=s, curvature=kappa, x=x, y=y, z=z)


def in_zone(s: np.ndarray, start: float, end: float) -> np.ndarray:
    """Mask of distances inside a zone; a zone with ``start > end`` wraps across the line."""
    return (s >= start) & (s < end) if start <= end else (s >= start) | (s < end)


def wrap_delta(delta: np.ndarray, length: float) -> np.ndarray:
    """Distances along a loop of ``length`` as the shortest signed offsets (-length/2..length/2)."""
    return (delta + length / 2) % length - length / 2
