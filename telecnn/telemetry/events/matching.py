"""Matching events one to one: intervals by intersection over union, points by time gap.

Used to score a detector against labels (:mod:`telecnn.telemetry.detector.evaluate`: in time)
and to line up laps' zones corner by corner (:mod:`telecnn.telemetry.analysis.compare`: in
distance).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

#: Least IoU for two interval events to match when scoring.
IOU_MIN = 0.5
#: Largest gap (s) for two point events to match.
POINT_TOLERANCE = 0.5


def iou_matrix(a: np.ndarray, b: np.ndarray, widen: float = 0.0) -> np.ndarray:
    """IoU of every interval of ``a`` ``(n, 2)`` with every one of ``b`` ``(m, 2)`` (rows are
    ``(start, end)``), each widened by ``widen`` on both sides: ``(n, m)``. Two equal
    zero-length intervals have IoU 1."""
    a0, a1 = a[:, 0, None] - widen, a[:, 1, None] + widen
    b0, b1 = b[None, :, 0] - widen, b[None, :, 1] + widen
    inter = np.maximum(0.0, np.minimum(a1, b1) - np.maximum(a0, b0))
    union = np.maximum(a1, b1) - np.minimum(a0, b0)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(union > 0, inter / union, ((a0 == b0) & (a1 == b1)).astype(float))


def interval_iou(a: tuple[float, float], b: tuple[float, float], widen: float = 0.0) -> float:
    """IoU of two ``(start, end)`` intervals, each widened by ``widen`` on both sides."""
    return float(iou_matrix(np.array([a], float), np.array([b], float), widen)[0, 0])


def match_intervals(
    found: np.ndarray,
    labelled: np.ndarray,
    point: bool,
    widen: float,
    min_iou: float = IOU_MIN,
) -> list[tuple[int, int]]:
    """One-to-one greedy matches ``(found row, labelled row)`` of ``(start, end)`` rows: the
    best pair first (highest IoU at least ``min_iou``, or for points the smallest gap within
    :data:`POINT_TOLERANCE`), ties by row order."""
    if len(found) == 0 or len(labelled) == 0:
        return []
    if point:
        gap = np.abs(found[:, 0, None] - labelled[None, :, 0])
        ok, key = gap <= POINT_TOLERANCE, -gap
    else:
        key = iou_matrix(found, labelled, widen)
        ok = key >= min_iou
    rows, cols = np.nonzero(ok)
    order = np.lexsort((cols, rows, -key[rows, cols]))
    used_found: set[int] = set()
    used_labelled: set[int] = set()
    matches = []
    for i, j in zip(rows[order].tolist(), cols[order].tolist(), strict=True):
        if i not in used_found and j not in used_labelled:
            used_found.add(i)
            used_labelled.add(j)
            matches.append((i, j))
    return sorted(matches)


def match_type(
    detected: pd.DataFrame,
    labelled: pd.DataFrame,
    point: bool,
    widen: float,
    columns: tuple[str, str] = ("start_time", "end_time"),
    min_iou: float = IOU_MIN,
) -> list[tuple[int, int]]:
    """:func:`match_intervals` on two event tables of one type, on their ``columns`` (time by
    default; distance when comparing laps)."""
    return match_intervals(
        detected[list(columns)].to_numpy(dtype=float),
        labelled[list(columns)].to_numpy(dtype=float),
        point,
        widen,
        min_iou,
    )
