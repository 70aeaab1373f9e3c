"""Putting a lap on a reference lap's distance, so two laps line up corner by corner.

Where both laps have positions, each sample of the lap is projected onto the reference's path
(perpendicular to its nearest segment, searched near where the lap's own distance puts it):
its distance is the reference's distance at that point. The path is the reference's X/Y as
functions of its distance, every :data:`PATH_STEP_M` metres, smoothed over
:data:`PATH_SMOOTH_M` (merged telemetry's positions jitter by a few metres). A sample further
than :data:`POOR_GAP_M` from the path (the pit lane, a bad position, a car off the track) is
carried by its own distance from its neighbours, and the offset of the projection from the
lap's own distance is smoothed over :data:`OFFSET_SMOOTH_M`, so position noise never makes a
step in the time gap; without positions a lap keeps its own distance (as fastf1's
``delta_time`` does). The result never steps back.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import ndimage

from telecnn.errors import TelecnnError
from telecnn.telemetry.analysis.path_geometry import nearest_on_path
from telecnn.telemetry.laps.schema import Lap

#: Spacing (m) of the reference path, and the Gaussian (sigma, m) it is smoothed with.
PATH_STEP_M = 1.0
PATH_SMOOTH_M = 4.0
#: How far (m) from where a lap's own distance puts a sample its projection is looked for.
SEARCH_M = 250.0
#: A sample further than this (m) from the reference's path is not on it: its own distance
#: carries it from its neighbours.
POOR_GAP_M = 15.0
#: Samples a projection's offset from the lap's own distance is median-filtered over (one
#: stray position never moves the alignment).
OFFSET_FILTER = 5
#: The offset is then smoothed over this many metres (a Gaussian's sigma): a line or the
#: logging drifts over hundreds of metres, while merged telemetry's positions, interpolated
#: from a slower feed, stray by metres to tens of metres from sample to sample. Locally the
#: lap's own distance (its speed, integrated) carries it: the gap's slope is the two speeds'.
OFFSET_SMOOTH_M = 100.0


def monotone_distance(lap: Lap) -> np.ndarray:
    """The lap's distance (m) from its start, never stepping back (merged telemetry can)."""
    d = lap.distance
    if not np.isfinite(d).all():
        raise TelecnnError(f"{lap.meta.label()} has no usable Distance or Speed to compare on")
    d = np.maximum.accumulate(d - d[0])
    if d[-1] <= 0:
        raise TelecnnError(f"{lap.meta.label()} does not move: nothing to compare")
    return d


def positions(lap: Lap) -> tuple[np.ndarray, np.ndarray] | None:
    """The lap's X and Y (position units: 1/10 m), where it has them all."""
    cols = lap.columns
    if "X" not in cols or "Y" not in cols:
        return None
    x, y = cols["X"].astype(float), cols["Y"].astype(float)
    return (x, y) if np.isfinite(x).all() and np.isfinite(y).all() else None


@dataclass(frozen=True)
class ReferencePath:
    """The reference lap's path: points ``x``, ``y`` (position units) at its distances ``d``
    (m), :data:`PATH_STEP_M` apart and smoothed; ``length`` its distance at the end."""

    d: np.ndarray
    x: np.ndarray
    y: np.ndarray
    length: float

    @classmethod
    def of(cls, reference: Lap, distance: np.ndarray) -> ReferencePath | None:
        """The path of a lap with positions, on its (monotone) ``distance``; None without."""
        xy = positions(reference)
        if xy is None or distance[-1] <= PATH_STEP_M:
            return None
        d = np.arange(0.0, distance[-1] + PATH_STEP_M / 2, PATH_STEP_M)
        sigma = PATH_SMOOTH_M / PATH_STEP_M
        x = ndimage.gaussian_filter1d(np.interp(d, distance, xy[0]), sigma, mode="nearest")
        y = ndimage.gaussian_filter1d(np.interp(d, distance, xy[1]), sigma, mode="nearest")
        return cls(d, x, y, float(distance[-1]))

    def project(
        self, x: np.ndarray, y: np.ndarray, expected: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """Each point's distance along the path (past its end or before its start where the
        point is: the path is a loop) and its gap to it (m), each searched within
        :data:`SEARCH_M` of its ``expected`` distance."""
        segments = len(self.d) - 1
        window = np.arange(-int(SEARCH_M / PATH_STEP_M), int(SEARCH_M / PATH_STEP_M) + 1)
        centre = np.rint(expected / PATH_STEP_M).astype(np.int64)
        along = np.empty(len(x))
        gap = np.empty(len(x))
        for a in range(0, len(x), 1024):  # bounded memory: a block of samples at a time
            k = centre[a : a + 1024, None] + window[None, :]  # unwrapped segment numbers
            seg = k % segments
            ax, ay = self.x[seg], self.y[seg]
            bx, by = self.x[seg + 1] - ax, self.y[seg + 1] - ay
            px, py = x[a : a + 1024, None], y[a : a + 1024, None]
            u = np.clip(((px - ax) * bx + (py - ay) * by) / np.maximum(bx**2 + by**2, 1e-9), 0, 1)
            g2 = (ax + u * bx - px) ** 2 + (ay + u * by - py) ** 2
            best = np.argmin(g2, axis=1)
            rows = np.arange(len(best))
            laps_round = np.floor_divide(k[rows, best], segments) * self.length
            along[a : a + 1024] = self.d[seg[rows, best]] + u[rows, best] * PATH_STEP_M + laps_round
            gap[a : a + 1024] = np.sqrt(g2[rows, best]) / 10.0
        return along, gap


def on_reference(
    lap: Lap, reference: Lap, ref_distance: np.ndarray, path: ReferencePath | None = None
) -> np.ndarray:
    """The distance along ``reference`` of each of ``lap``'s samples (see the module's notes;
    ``path``: the reference's :class:`ReferencePath`, made once for many laps)."""
    own = monotone_distance(lap)
    path = path if path is not None else ReferencePath.of(reference, ref_distance)
    xy = positions(lap)
    if path is None or xy is None:
        return own
    # a whole lap is stretched to the reference's length; a partial one keeps its metres,
    # from where on the path it starts (a lap begun mid-track: a red flag, a file's start)
    whole = lap.meta.whole is not False and abs(own[-1] / path.length - 1) < 0.1
    expected = own * (path.length / own[-1]) if whole else own + _start_on(path, xy, own)
    along, gap = path.project(xy[0], xy[1], expected)
    good = gap <= POOR_GAP_M
    if not good.any():
        return own
    # the offset from the lap's own distance changes slowly (a line, logging drift): where a
    # sample is off the path, its neighbours' offset carries it
    offset = along - expected
    idx = np.arange(len(offset))
    offset = np.interp(idx, idx[good], offset[good])
    offset = ndimage.median_filter(offset, size=OFFSET_FILTER, mode="nearest")
    offset = _smooth_along(offset, expected, OFFSET_SMOOTH_M)
    return np.maximum.accumulate(expected + offset)


#: How many of a partial lap's first samples place its start on the reference's path.
START_SAMPLES = 5


def _start_on(path: ReferencePath, xy: tuple[np.ndarray, np.ndarray], own: np.ndarray) -> float:
    """Where (m along the reference) a partial lap's own distance 0 lies: its first samples
    searched over the whole path, 0 where none of them is on it."""
    k = min(START_SAMPLES, len(own))
    at, gap = nearest_on_path(path.x, path.y, path.d, xy[0][:k], xy[1][:k])
    on = gap <= POOR_GAP_M
    if not on.any():
        return 0.0
    start = float(np.median(at[on] - own[:k][on]))
    return start - path.length if start > path.length - SEARCH_M else start  # at the line: 0


def _smooth_along(values: np.ndarray, at: np.ndarray, sigma_m: float) -> np.ndarray:
    """``values`` at distances ``at`` (rising), smoothed by a Gaussian of ``sigma_m`` metres
    in distance (not in samples: a slow corner's samples are closer together)."""
    if sigma_m <= 0:
        return values
    grid = np.arange(at[0], at[-1] + 1.0, 1.0)
    on_grid = np.interp(grid, at, values)
    return np.interp(at, grid, ndimage.gaussian_filter1d(on_grid, sigma_m, mode="nearest"))
