"""Scoring detected events against labelled ones: matching, precision, recall, F1, onset error.

Matching (per lap, per type): an interval event matches a labelled one when their intersection
over union in time is at least 0.5 after widening both by half the lap's median sample interval
on each side (so one-sample events have a length); a point event matches within 0.5 s. Matching
is one-to-one and greedy: the best pair (highest IoU, or smallest time gap) is taken first.
Beside it, each type gets the segmental F1@{0.10, 0.25, 0.50} and edit score of
action-segmentation work (:mod:`.segmental`) and, for braking, the onset error in metres.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from telecnn.telemetry.detector.segmental import OVERLAPS, edit_score, segmental_counts
from telecnn.telemetry.events.matching import match_intervals
from telecnn.telemetry.laps.schema import EVENT_TYPES, POINT_EVENTS


@dataclass
class TypeScore:
    """Counts for one event type, summed over laps."""

    tp: int = 0
    fp: int = 0
    fn: int = 0
    onset_errors: list[float] = field(default_factory=list)
    #: Segmental (tp, fp, fn) at each of :data:`OVERLAPS`, summed over laps.
    segmental: dict[float, list[int]] = field(
        default_factory=lambda: {k: [0, 0, 0] for k in OVERLAPS}
    )
    #: Edit score of each lap where the type was labelled or detected.
    edits: list[float] = field(default_factory=list)

    def add_segments(self, found: np.ndarray, labelled: np.ndarray, widen: float) -> None:
        """Add one lap's segmental counts and (when it has any of the type) edit score."""
        for k, counts in self.segmental.items():
            for i, n in enumerate(segmental_counts(found, labelled, k, widen)):
                counts[i] += n
        if len(found) or len(labelled):
            self.edits.append(edit_score(["x"] * len(found), ["x"] * len(labelled)))  # |n - m|

    def segmental_f1(self, overlap: float) -> float | None:
        tp, fp, fn = self.segmental[overlap]
        return 2 * tp / (2 * tp + fp + fn) if tp + fp + fn else None

    @property
    def precision(self) -> float | None:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else None

    @property
    def recall(self) -> float | None:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else None

    @property
    def f1(self) -> float | None:
        total = 2 * self.tp + self.fp + self.fn
        return 2 * self.tp / total if total else None

    def to_dict(self) -> dict[str, float | int | None]:
        out: dict[str, float | int | None] = {
            "precision": self.precision,
            "recall": self.recall,
            "f1": self.f1,
            "tp": self.tp,
            "fp": self.fp,
            "fn": self.fn,
            "labelled": self.tp + self.fn,
            "detected": self.tp + self.fp,
        }
        for k in self.segmental:
            out[f"f1@{k:.2f}"] = self.segmental_f1(k)
        out["edit"] = float(np.mean(self.edits)) if self.edits else None
        if self.onset_errors:
            out["median_onset_error_m"] = float(np.median(self.onset_errors))
            out["p90_onset_error_m"] = float(np.percentile(self.onset_errors, 90))
        return out


def merge_scores(parts: list[dict[str, TypeScore]]) -> dict[str, TypeScore]:
    """Scores of several sets of laps as one: every count summed, every list joined."""
    out: dict[str, TypeScore] = {}
    for scores in parts:
        for name, score in scores.items():
            mine = out.setdefault(name, TypeScore())
            mine.tp, mine.fp, mine.fn = mine.tp + score.tp, mine.fp + score.fp, mine.fn + score.fn
            mine.onset_errors += score.onset_errors
            mine.edits += score.edits
            for k, counts in score.segmental.items():
                mine.segmental[k] = [a + b for a, b in zip(mine.segmental[k], counts, strict=True)]
    return out


SPAN = ["start_time", "end_time"]


def add_matches(
    score: TypeScore, found: np.ndarray, labelled: np.ndarray, point: bool, widen: float
) -> list[tuple[int, int]]:
    """Match one lap's ``(start, end)`` rows of one type and add the counts to ``score``."""
    matches = match_intervals(found, labelled, point, widen)
    score.tp += len(matches)
    score.fp += len(found) - len(matches)
    score.fn += len(labelled) - len(matches)
    return matches


def score_lap(
    detected: pd.DataFrame,
    labelled: pd.DataFrame,
    sample_interval: float,
    scores: dict[str, TypeScore] | None = None,
    event_types: Iterable[str] = EVENT_TYPES,
) -> dict[str, TypeScore]:
    """Add one lap's matches to ``scores`` (per type) and return it.

    ``sample_interval`` is the lap's median sample interval; intervals are widened by half of it.
    """
    scores = scores if scores is not None else {}
    widen = sample_interval / 2
    for name in event_types:
        det = detected[detected["event"] == name]
        lab = labelled[labelled["event"] == name]
        s = scores.setdefault(name, TypeScore())
        found, labels = det[SPAN].to_numpy(dtype=float), lab[SPAN].to_numpy(dtype=float)
        matches = add_matches(s, found, labels, name in POINT_EVENTS, widen)
        s.add_segments(found, labels, widen)
        if name == "braking" and matches:
            d_start = det["start_distance"].to_numpy(dtype=float)
            l_start = lab["start_distance"].to_numpy(dtype=float)
            for i, j in matches:
                err = abs(d_start[i] - l_start[j])
                if np.isfinite(err):
                    s.onset_errors.append(float(err))
    return scores


def scores_table(scores: dict[str, TypeScore]) -> dict[str, dict]:
    """The per-type scores as plain dicts (for JSON and printing)."""
    return {name: s.to_dict() for name, s in scores.items()}


def format_scores(scores: dict[str, TypeScore]) -> str:
    """A readable per-type table: precision, recall, F1, counts, the segmental F1@k and edit
    score, and braking's onset error (median / 90th percentile)."""

    def pct(v: float | None) -> str:
        return "   -  " if v is None else f"{v * 100:5.1f}%"

    segs = " ".join(f"{f'F1@{k * 100:.0f}':>6}" for k in OVERLAPS)
    lines = [
        f"{'event':<11} {'prec':>6} {'recall':>6} {'F1':>6} {'labels':>7} {'found':>6} "
        f"{segs} {'edit':>6}  onset err"
    ]
    for name, s in scores.items():
        onset = ""
        if s.onset_errors:
            p50, p90 = np.percentile(s.onset_errors, [50, 90])
            onset = f"  {p50:.1f} / {p90:.1f} m"
        edit = f"{np.mean(s.edits):6.1f}" if s.edits else "   -  "
        seg = " ".join(pct(s.segmental_f1(k)) for k in OVERLAPS)
        lines.append(
            f"{name:<11} {pct(s.precision)} {pct(s.recall)} {pct(s.f1)} "
            f"{s.tp + s.fn:>7} {s.tp + s.fp:>6} {seg} {edit}{onset}"
        )
    return "\n".join(lines)
