"""Where points lie along a lap's path: plain NumPy (no scipy), so labelling corners costs no
more than it needs."""

from __future__ import annotations

import numpy as np


def nearest_on_path(
    x: np.ndarray, y: np.ndarray, d: np.ndarray, cx: np.ndarray, cy: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Distance of the point of the polyline (x, y) at distances ``d`` nearest each point
    (cx, cy) (projected on its segments, the distance interpolated), and the point's gap to it
    (m; positions in 1/10 m): a search over the whole path."""
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
    at = d[best] + u[rows, best] * (d[best + 1] - d[best])
    return at, np.sqrt(gap2[rows, best]) / 10.0
