"""Matching and scoring on hand-made events: widening, the IoU bound, one-to-one greedy, points."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from telecnn.telemetry.detector.evaluate import score_lap
from telecnn.telemetry.events.matching import interval_iou, match_type
from telecnn.telemetry.laps.axes import median_interval


def _events(*rows: tuple) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "event": e,
                "start_time": s,
                "end_time": t,
                "start_distance": s * 50.0,
                "end_distance": t * 50.0,
                "confidence": 1.0,
            }
            for e, s, t in rows
        ],
        columns=["event", "start_time", "end_time", "start_distance", "end_distance", "confidence"],
    )


def test_iou_with_widening() -> None:
    assert interval_iou((0, 1), (0, 1)) == 1.0
    assert interval_iou((0, 1), (2, 3)) == 0.0
    assert interval_iou((0, 2), (1, 3)) == pytest.approx(1 / 3)
    # two one-sample events at the same time have IoU 1 only thanks to the widening
    assert interval_iou((5.0, 5.0), (5.0, 5.0), widen=0.125) == 1.0
    # neighbouring one-sample events (0.25 s apart) do not overlap after widening by 0.125
    assert interval_iou((5.0, 5.0), (5.25, 5.25), widen=0.125) == 0.0
    # a run one sample longer than its label: (3 samples -> 0.5 s + 0.25) vs (0.75 s + 0.25)
    assert interval_iou((0, 0.5), (0, 0.75), widen=0.125) == pytest.approx(0.75)


def test_widening_decides_a_borderline_match() -> None:
    det = _events(("braking", 10.0, 10.25))
    lab = _events(("braking", 10.25, 10.5))
    # unwidened: IoU 0 (they touch); widened by 0.125: [9.875,10.375] vs [10.125,10.625] -> 1/3
    s = score_lap(det, lab, sample_interval=0.25)["braking"]
    assert (s.tp, s.fp, s.fn) == (0, 1, 1)
    det = _events(("braking", 10.0, 10.5))
    lab = _events(("braking", 10.25, 10.5))
    # unwidened IoU 0.5 -> widened 0.5/0.75*... still >= 0.5: [9.875,10.625] vs [10.125,10.625]
    s = score_lap(det, lab, sample_interval=0.25)["braking"]
    assert (s.tp, s.fp, s.fn) == (1, 0, 0)
    # a single-sample label and a single-sample detection one sample later never match
    s = score_lap(_events(("drs", 3.0, 3.0)), _events(("drs", 3.27, 3.27)), 0.27)["drs"]
    assert (s.tp, s.fp, s.fn) == (0, 1, 1)


def test_one_to_one_greedy_by_iou() -> None:
    # one long detection overlapping two labels: only the better-overlapping label matches
    det = _events(("braking", 0.0, 4.0))
    lab = _events(("braking", 0.0, 2.5), ("braking", 0.5, 3.9))
    s = score_lap(det, lab, 0.0)["braking"]
    assert (s.tp, s.fp, s.fn) == (1, 0, 1)
    assert match_type(det, lab, point=False, widen=0.0) == [(0, 1)]
    # two detections competing for one label: the higher IoU wins, the other is a false positive
    det = _events(("braking", 0.0, 1.0), ("braking", 0.1, 1.0))
    lab = _events(("braking", 0.1, 1.0))
    assert match_type(det, lab, point=False, widen=0.0) == [(1, 0)]
    s = score_lap(det, lab, 0.0)["braking"]
    assert (s.tp, s.fp, s.fn) == (1, 1, 0)
    assert s.precision == 0.5 and s.recall == 1.0 and s.f1 == pytest.approx(2 / 3)


def test_points_within_half_a_second_one_to_one_and_types_kept_apart() -> None:
    det = _events(("upshift", 1.0, 1.0), ("upshift", 1.3, 1.3), ("downshift", 5.0, 5.0))
    lab = _events(("upshift", 1.2, 1.2), ("upshift", 3.0, 3.0), ("upshift", 5.0, 5.0))
    scores = score_lap(det, lab, 0.27)
    up, down = scores["upshift"], scores["downshift"]
    # 1.3 is nearest to 1.2 and takes it; 1.0 is left over; 3.0 and 5.0 unmatched
    assert (up.tp, up.fp, up.fn) == (1, 1, 2)
    assert match_type(
        det[det.event == "upshift"].reset_index(drop=True),
        lab[lab.event == "upshift"].reset_index(drop=True),
        True,
        0.0,
    ) == [(1, 0)]
    assert (down.tp, down.fp, down.fn) == (0, 1, 0)
    assert down.recall is None and down.precision == 0.0
    assert (
        score_lap(_events(("upshift", 1.0, 1.0)), _events(("upshift", 1.51, 1.51)), 0.0)[
            "upshift"
        ].tp
        == 0
    )


def test_scores_accumulate_over_laps_with_onset_error() -> None:
    scores: dict = {}
    score_lap(_events(("braking", 10.0, 12.0)), _events(("braking", 10.2, 12.0)), 0.25, scores)
    score_lap(_events(("braking", 20.0, 22.0)), _events(("braking", 20.0, 22.0)), 0.25, scores)
    score_lap(_events(), _events(("braking", 30.0, 31.0)), 0.25, scores)
    s = scores["braking"]
    assert (s.tp, s.fp, s.fn) == (2, 0, 1)
    assert s.onset_errors == pytest.approx([10.0, 0.0])
    table = s.to_dict()
    assert table["median_onset_error_m"] == pytest.approx(5.0)
    assert table["f1"] == pytest.approx(0.8)
    assert median_interval(np.array([0.0, 0.2, 0.5, 0.7])) == pytest.approx(0.2)
