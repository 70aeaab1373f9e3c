"""Corner numbers on laps: place a circuit's corners (:mod:`telecnn.telemetry.sources.corners`)
on each lap, and give each braking zone, lift and clipping run its corner.

A corners table has one row per corner: ``corner`` (its label, ``T4`` or ``T10A``), ``number``,
``letter``, and where it is: ``X``/``Y`` (the position data's units) and/or ``Distance`` (metres
along fastf1's reference lap). On a lap with positions each corner is put at the nearest point of
the lap's path; without positions its ``Distance`` is used as it is.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from telecnn.errors import TelecnnError
from telecnn.telemetry.laps.schema import Lap

#: The event types that lead into a corner and get its label.
CORNER_EVENTS: tuple[str, ...] = ("braking", "lift_coast", "clipping")
#: A corner further than this share of the track's size from the lap's path is not on it (a
#: corners file of another circuit, or positions in other units).
OFF_TRACK_SHARE = 0.05


def corner_distances(lap: Lap, corners: pd.DataFrame) -> np.ndarray:
    """Each corner's distance (m) along ``lap``: at the nearest point of the lap's path where
    both have positions, else the corners' own ``Distance``. Raises where neither serves, or
    where the corners lie off this lap's path."""
    data = lap.columns
    cx, cy = corners["X"].to_numpy(float), corners["Y"].to_numpy(float)
    lap_xy = "X" in data and "Y" in data
    if lap_xy and np.isfinite(cx).all() and np.isfinite(cy).all():
        x, y = data["X"].astype(float), data["Y"].astype(float)
        ok = np.isfinite(x) & np.isfinite(y)
        if ok.sum() >= 2:
            return _on_path(x[ok], y[ok], lap.distance[ok], cx, cy, lap.meta.label())
    known = corners["Distance"].to_numpy(float)
    if np.isfinite(known).all():
        return known
    raise TelecnnError(
        f"cannot place the corners on {lap.meta.label()}: the lap has no X/Y positions and the "
        "corners no Distance"
    )


def _on_path(
    x: np.ndarray, y: np.ndarray, d: np.ndarray, cx: np.ndarray, cy: np.ndarray, label: str
) -> np.ndarray:
    """Distance of the point of the polyline (x, y) nearest each corner (projected on its
    segments, the distance interpolated)."""
    ax, ay = x[:-1], y[:-1]
    bx, by = np.diff(x), np.diff(y)
    length2 = np.maximum(bx**2 + by**2, 1e-12)
    # for every corner and segment, where along the segment the corner projects
    u = ((cx[:, None] - ax[None]) * bx[None] + (cy[:, None] - ay[None]) * by[None]) / length2
    u = np.clip(u, 0.0, 1.0)
    gap2 = (ax[None] + u * bx[None] - cx[:, None]) ** 2 + (
        ay[None] + u * by[None] - cy[:, None]
    ) ** 2
    best = np.argmin(gap2, axis=1)
    rows = np.arange(len(cx))
    size = float(np.hypot(np.ptp(x), np.ptp(y)))
    off = np.sqrt(gap2[rows, best])
    if size > 0 and float(np.median(off)) > OFF_TRACK_SHARE * size:
        raise TelecnnError(
            f"the corners are not on {label}'s path (a median {np.median(off):.0f} position "
            "units away): corners of another circuit?"
        )
    return d[best] + u[rows, best] * (d[best + 1] - d[best])


def corner_ahead(starts: np.ndarray, at: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """The label of the first corner at or after each start distance (past the last corner,
    the first: the next lap's)."""
    order = np.argsort(at, kind="stable")
    at, labels = at[order], labels[order]
    k = np.searchsorted(at, starts, side="left")
    return labels[np.where(k < len(at), k, 0)]


def label_corners(events: pd.DataFrame, lap: Lap) -> pd.DataFrame:
    """``events`` with a ``corner`` column: the corner each braking zone, lift and clipping run
    leads into (other types: empty). Unchanged when the lap has no corners."""
    if lap.corners is None:
        return events
    out = events.copy()
    corner = np.full(len(out), None, dtype=object)
    if len(out):
        at = corner_distances(lap, lap.corners)
        leads = out["event"].isin(CORNER_EVENTS).to_numpy()
        starts = out["start_distance"].to_numpy(float)[leads]
        corner[leads] = corner_ahead(starts, at, lap.corners["corner"].to_numpy(object))
    out["corner"] = corner
    return out


def with_corners(laps: list[Lap], corners: pd.DataFrame) -> list[Lap]:
    """The laps, each given these corners (checked first against the first lap's path: a
    refusal changes no lap)."""
    if laps:
        corner_distances(laps[0], corners)
    for lap in laps:
        lap.corners = corners
    return laps


def label_laps(laps: Sequence[Lap], found: Sequence[pd.DataFrame]) -> list[pd.DataFrame]:
    """Each lap's events labelled with their corners (:func:`label_corners`), where its
    circuit's corners are known: what a caller applies after any detector."""
    return [label_corners(events, lap) for lap, events in zip(laps, found, strict=True)]
