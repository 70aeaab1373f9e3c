"""The segment metrics action-segmentation work reports (MS-TCN's conventions), per event type.

- Segmental F1@k: each detected segment, in time order, is a hit when its best-overlapping
  labelled segment (highest IoU) reaches IoU ``k`` and was not hit before; else a false
  positive; labelled segments never hit are misses.
- Edit score: ``100 * (1 - d / max(n_detected, n_labelled))`` per lap, with ``d`` the
  Levenshtein distance between the two sequences of segment labels in time order (100 where
  both are empty), averaged over laps.

Segments are a lap's events in time, each widened by half the lap's median sample interval on
both sides: the frames a sampled segment covers (a one-sample event, a shift, covers one).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from telecnn.telemetry.events.matching import iou_matrix

#: The overlaps MS-TCN reports F1 at.
OVERLAPS: tuple[float, ...] = (0.10, 0.25, 0.50)


def segmental_counts(
    found: np.ndarray, labelled: np.ndarray, overlap: float, widen: float
) -> tuple[int, int, int]:
    """``(tp, fp, fn)`` of one lap's ``(start, end)`` rows of one type at IoU ``overlap``."""
    if len(found) == 0 or len(labelled) == 0:
        return 0, len(found), len(labelled)
    order = np.argsort(found[:, 0], kind="stable")
    iou = iou_matrix(found[order], labelled, widen)
    hit = np.zeros(len(labelled), dtype=bool)
    tp = 0
    for row in iou:
        best = int(np.argmax(row))
        if row[best] >= overlap and not hit[best]:
            hit[best] = True
            tp += 1
    return tp, len(found) - tp, len(labelled) - tp


def edit_score(found: Sequence[str], labelled: Sequence[str]) -> float:
    """MS-TCN's edit score of two label sequences (segments in time order): 0-100."""
    n, m = len(found), len(labelled)
    if max(n, m) == 0:
        return 100.0
    if len(set(found) | set(labelled)) == 1:  # one type (how scores use it): |n - m| edits
        return float(100.0 * (1.0 - abs(n - m) / max(n, m)))
    row = np.arange(m + 1, dtype=float)
    for i in range(1, n + 1):
        prev, row = row, np.empty(m + 1)
        row[0] = i
        for j in range(1, m + 1):
            cost = 0.0 if found[i - 1] == labelled[j - 1] else 1.0
            row[j] = min(prev[j] + 1, row[j - 1] + 1, prev[j - 1] + cost)
    return float(100.0 * (1.0 - row[m] / max(n, m)))
