"""A detector scored on laps against their reference events (rules plus simulator truth)."""

from __future__ import annotations

import math
from collections.abc import Sequence

from telecnn.telemetry.detector.evaluate import TypeScore, score_lap
from telecnn.telemetry.detector.running import DetectorChoice, detect_laps
from telecnn.telemetry.events.labels import reference_events
from telecnn.telemetry.laps.axes import median_interval
from telecnn.telemetry.laps.schema import EVENT_TYPES, SIM_ONLY_EVENTS, Lap, supported_events


def evaluate_laps(
    laps: Sequence[Lap],
    detector: DetectorChoice = "cnn",
    channels: Sequence[str] | None = None,
    progress: bool = False,
) -> dict[str, TypeScore]:
    """Per-type scores of a detector against each lap's :func:`reference_events`.

    With ``channels``, only the types those channels can show are scored; the types only the
    simulator labels (wheelspin, lock-up) only on laps that carry its truth.
    """
    found = detect_laps(laps, detector, channels, progress=progress)
    types = EVENT_TYPES if channels is None else supported_events(channels)
    labelled_by_rules = tuple(t for t in types if t not in SIM_ONLY_EVENTS)
    scores: dict[str, TypeScore] = {}
    for lap, events in zip(laps, found, strict=True):
        scored = types if lap.truth is not None else labelled_by_rules
        score_lap(events, reference_events(lap), median_interval(lap.times), scores, scored)
    return scores


def f1_by_type(scores: dict[str, TypeScore]) -> dict[str, float]:
    """Each type's F1 (NaN where nothing was labelled or found)."""
    return {name: (s.f1 if s.f1 is not None else math.nan) for name, s in scores.items()}
