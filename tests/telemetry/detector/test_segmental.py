"""MS-TCN's segment metrics on hand-made segments: F1@k and the edit score."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from telecnn.telemetry.detector.evaluate import score_lap
from telecnn.telemetry.detector.segmental import edit_score, segmental_counts


def test_f1_at_k_counts_hits_by_best_overlap_in_time_order():
    labelled = np.array([[0.0, 10.0], [20.0, 30.0]])
    # IoU with [0, 10]: 6/10 = 0.6; a second, overlapping detection of the same segment
    # (IoU 0.3) comes later in time and is a false positive even at k = 0.1
    found = np.array([[4.0, 10.0], [7.0, 10.0]])
    assert segmental_counts(found, labelled, 0.10, 0.0) == (1, 1, 1)
    assert segmental_counts(found, labelled, 0.50, 0.0) == (1, 1, 1)
    assert segmental_counts(found, labelled, 0.75, 0.0) == (0, 2, 2)
    assert segmental_counts(np.zeros((0, 2)), labelled, 0.5, 0.0) == (0, 0, 2)


def test_a_one_sample_segment_covers_its_sample():
    # a shift at 5.0 s found at 5.1 s, samples 0.2 s apart: widened by 0.1 s they overlap
    found, labelled = np.array([[5.1, 5.1]]), np.array([[5.0, 5.0]])
    assert segmental_counts(found, labelled, 0.25, 0.1) == (1, 0, 0)
    assert segmental_counts(found, labelled, 0.5, 0.1) == (0, 1, 1)


@pytest.mark.parametrize(
    ("found", "labelled", "score"),
    [
        ([], [], 100.0),
        (["a", "b", "c"], ["a", "b", "c"], 100.0),
        (["a", "c"], ["a", "b", "c"], 100 * (1 - 1 / 3)),  # one deletion
        (["a", "x", "c", "d"], ["a", "b", "c"], 100 * (1 - 2 / 4)),  # a substitution, an insertion
        ([], ["a", "a"], 0.0),
    ],
)
def test_edit_score_is_levenshtein_over_the_longer_sequence(found, labelled, score):
    assert edit_score(found, labelled) == pytest.approx(score)


def test_a_lap_score_carries_segmental_f1_edit_and_onset_percentiles():
    def table(rows):
        return pd.DataFrame(
            rows, columns=["event", "start_time", "end_time", "start_distance", "end_distance"]
        )

    labelled = table([("braking", 1.0, 2.0, 100.0, 150.0), ("braking", 10.0, 11.0, 900.0, 950.0)])
    found = table([("braking", 1.2, 2.0, 110.0, 150.0), ("braking", 20.0, 21.0, 1800.0, 1850.0)])
    scores = score_lap(found, labelled, 0.0, event_types=("braking",))
    out = scores["braking"].to_dict()
    assert (out["tp"], out["fp"], out["fn"]) == (1, 1, 1)
    assert out["f1@0.10"] == out["f1@0.50"] == pytest.approx(0.5)
    assert out["edit"] == pytest.approx(100.0)  # two segments found, two labelled
    assert out["median_onset_error_m"] == out["p90_onset_error_m"] == pytest.approx(10.0)
