"""Peaks of a probability trace, as :func:`scipy.signal.find_peaks` finds them with ``height``
and ``distance``: local maxima (a flat top's middle sample; never the first or last sample),
at least ``height`` high, the higher kept where two are closer than ``distance`` samples.

Written out here because importing ``scipy.signal`` costs more than a whole one-lap detection
(about 0.8 s, it loads ``scipy.stats``); the tests check it against scipy on real laps.
"""

from __future__ import annotations

import numpy as np


def find_peaks(x: np.ndarray, height: float, distance: int = 1) -> np.ndarray:
    """Indices of ``x``'s peaks (see the module's notes), in order."""
    x = np.asarray(x, dtype=float)
    if len(x) < 3:
        return np.zeros(0, dtype=np.int64)
    change = np.flatnonzero(np.diff(x) != 0) + 1
    starts = np.concatenate([[0], change])
    ends = np.concatenate([change, [len(x)]]) - 1
    top = x[starts]
    left = np.concatenate([[np.inf], top[:-1]])
    right = np.concatenate([top[1:], [np.inf]])
    keep = (top > left) & (top > right) & (top >= height)
    peaks = (starts[keep] + ends[keep]) // 2
    if distance <= 1 or len(peaks) < 2 or np.diff(peaks).min() >= distance:
        return peaks.astype(np.int64)
    return peaks[_spaced(peaks, x[peaks], distance)].astype(np.int64)


def _spaced(peaks: np.ndarray, priority: np.ndarray, distance: int) -> np.ndarray:
    """Which peaks stay when, highest first, each removes the lower ones nearer than
    ``distance`` samples."""
    keep = np.ones(len(peaks), dtype=bool)
    for j in np.argsort(priority)[::-1]:
        if not keep[j]:
            continue
        near = np.abs(peaks - peaks[j]) < distance
        near[j] = False
        keep &= ~near
    return keep
