"""Tuning a detector's thresholds on its held-out laps once an epoch: the types only the
simulator labels on simulated laps, the others on every held-out lap (simulated, and the real
laps held out of training where it trains on some), for all channels and for the channel
subsets users read (:data:`SUBSET_TYPES`).

Only the type being tuned is post-processed, once per ``high``: a minimum duration only drops
events (an event lasts from its run's first sample to its last), so each candidate duration
filters the events found with none, and counts on arrays.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd

from telecnn.telemetry.detector.detector import Detector, Thresholds, lap_traces, traces_present
from telecnn.telemetry.detector.evaluate import SPAN, TypeScore, add_matches
from telecnn.telemetry.detector.features import REDUCED_FEEDS
from telecnn.telemetry.detector.postprocess import LapTraces, laps_to_events
from telecnn.telemetry.events.labels import reference_events
from telecnn.telemetry.events.table import SPAN_TOLERANCE
from telecnn.telemetry.laps.axes import median_interval
from telecnn.telemetry.laps.end_to_end import groups
from telecnn.telemetry.laps.schema import SIM_ONLY_EVENTS, Lap

TUNE_HIGH = (0.2, 0.3, 0.4, 0.5, 0.6, 0.7)
TUNE_MIN_DURATION = (0.0, 0.25, 0.5, 0.75)
#: Rule-labelled types whose hysteresis is tuned too (their minimum duration stays the rule's).
TUNED_RULE_TYPES = ("lift_coast", "clipping")


def tune_thresholds(
    detector: Detector,
    laps: Sequence[Lap],
    types: Iterable[str],
    channels: Sequence[str] | None = None,
    min_durations: Sequence[float | None] = (None,),
    labels: Sequence[pd.DataFrame] | None = None,
) -> Thresholds:
    """The thresholds of ``types`` (``high``, ``low`` = 0.7 ``high``, and a minimum duration
    from ``min_durations``; None keeps the current one) with the best F1 on ``laps`` for the
    model reading ``channels`` (default: all); ``labels``: the laps' reference events, where
    the caller has them already."""
    if not laps:
        return {}
    base = detector.thresholds_for(channels or detector.channels)
    probs = detector.probabilities(laps, channels)
    edges = detector.channel_edges
    traces = [  # the edges of the channels detection reads from each lap
        lap_traces(lap, p, detector.channels_for(lap, channels), edges)
        for lap, p in zip(laps, probs, strict=True)
    ]
    labels = labels if labels is not None else [reference_events(lap) for lap in laps]
    widen = [median_interval(lap.times) / 2 for lap in laps]
    chosen = {}
    for name in types:
        best = (-1.0, base[name])
        truth = [lab.loc[lab["event"] == name, SPAN].to_numpy(dtype=float) for lab in labels]
        for high in TUNE_HIGH:
            hysteresis = {**base[name], "high": high, "low": 0.7 * high}
            found = _spans(traces, name, {**hysteresis, "min_duration": 0.0})
            for shortest in min_durations:
                th = dict(hysteresis)
                if shortest is not None:
                    th["min_duration"] = shortest
                score = TypeScore()
                for spans, labelled, w in zip(found, truth, widen, strict=True):
                    lasting = spans[
                        spans[:, 1] - spans[:, 0] >= th["min_duration"] - SPAN_TOLERANCE
                    ]
                    add_matches(score, lasting, labelled, False, w)
                f1 = score.f1 or 0.0
                if f1 > best[0]:
                    best = (f1, th)
        chosen[name] = best[1]
    return chosen


def _spans(traces: Sequence[LapTraces], name: str, thresholds: Thresholds) -> list[np.ndarray]:
    """Each lap's ``(start, end)`` times of the ``name`` events ``thresholds`` give: the laps
    post-processed together, those with the same channels laid end to end (each lap's events
    what it gives alone), not one lap at a time."""
    spans: list[np.ndarray] = [np.zeros((0, 2))] * len(traces)
    for _, idx in groups([traces_present(t) for t in traces]).items():
        found = laps_to_events([traces[i] for i in idx], {name: thresholds}, (name,))
        for i, events in zip(idx, found, strict=True):
            spans[i] = events[SPAN].to_numpy(dtype=float)
    return spans


#: The channel subsets thresholds are tuned for (those a user reads a reduced feed with), and
#: the types tuned for each: braking with a minimum duration too (its probabilities from fewer
#: channels are less sharp).
SUBSET_TYPES: dict[tuple[str, ...], tuple[str, ...]] = dict(
    zip(
        REDUCED_FEEDS,
        [("braking",), ("braking", "lift_coast", "clipping"), ("braking",)],
        strict=True,
    )
)


def epoch_thresholds(
    detector: Detector, laps: Sequence[Lap]
) -> tuple[Thresholds, dict[str, Thresholds]]:
    """The thresholds and channel-subset thresholds the detector's current model should use:
    the hidden types tuned on the simulated laps (no rule labels them), the energy types
    (their rules' short, sharp-edged runs) on every held-out lap, and each subset of
    :data:`SUBSET_TYPES` the model reads."""
    labels = [reference_events(lap) for lap in laps]  # once: they do not change with the model
    simulated = [k for k, lap in enumerate(laps) if lap.truth is not None]
    thresholds = detector.thresholds | tune_thresholds(
        detector, [laps[k] for k in simulated], sorted(SIM_ONLY_EVENTS),
        labels=[labels[k] for k in simulated],
    )  # fmt: skip
    thresholds |= tune_thresholds(detector, laps, TUNED_RULE_TYPES, labels=labels)
    detector.thresholds = thresholds
    by_channels = dict(detector.channel_thresholds)
    for subset, types in SUBSET_TYPES.items():
        if set(subset) < set(detector.channels):
            durations = [None, *TUNE_MIN_DURATION] if "braking" in types else [None]
            key = ",".join(c for c in detector.channels if c in subset)
            by_channels[key] = tune_thresholds(detector, laps, types, subset, durations, labels)
    return thresholds, by_channels
