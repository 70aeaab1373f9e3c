"""Matching events one to one: intervals by intersection over union, points by time gap.

Used to score a detector against labels (:mod:`telecnn.telemetry.detector.evaluate`: in time)
and to line up laps' zones corner by corner (:mod:`telecnn.telemetry.compare`: in distance).
"""

from __future__ import annotations

import pandas as pd

#: Least IoU for two interval events to match when scoring.
IOU_MIN = 0.5
#: Largest gap (s) for two point events to match.
POINT_TOLERANCE = 0.5


def interval_iou(a: tuple[float, float], b: tuple[float, float], widen: float = 0.0) -> float:
    """IoU of two ``(start, end)`` intervals, each widened by ``widen`` on both sides."""
    a0, a1, b0, b1 = a[0] - widen, a[1] + widen, b[0] - widen, b[1] + widen
    inter = max(0.0, min(a1, b1) - max(a0, b0))
    union = max(a1, b1) - min(a0, b0)
    return inter / union if union > 0 else float(a0 == b0 and a1 == b1)


def match_type(
    detected: pd.DataFrame,
    labelled: pd.DataFrame,
    point: bool,
    widen: float,
    columns: tuple[str, str] = ("start_time", "end_time"),
    min_iou: float = IOU_MIN,
) -> list[tuple[int, int]]:
    """One-to-one greedy matches ``(detected row, labelled row)`` of events of one type, on
    their ``columns`` (time by default; distance when comparing laps)."""
    pairs: list[tuple[float, int, int]] = []
    ds = detected[list(columns)].to_numpy(dtype=float)
    ls = labelled[list(columns)].to_numpy(dtype=float)
    for i, (d0, d1) in enumerate(ds):
        for j, (l0, l1) in enumerate(ls):
            if point:
                gap = abs(d0 - l0)
                if gap <= POINT_TOLERANCE:
                    pairs.append((-gap, i, j))
            else:
                iou = interval_iou((d0, d1), (l0, l1), widen)
                if iou >= min_iou:
                    pairs.append((iou, i, j))
    pairs.sort(key=lambda p: (-p[0], p[1], p[2]))
    used_d: set[int] = set()
    used_l: set[int] = set()
    matches = []
    for _, i, j in pairs:
        if i not in used_d and j not in used_l:
            used_d.add(i)
            used_l.add(j)
            matches.append((i, j))
    return sorted(matches)
