"""What the CLI (and notebooks) call: detect on many laps, tabulate, write, evaluate."""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from pathlib import Path

import pandas as pd
from tqdm.auto import tqdm

from telecnn.errors import TelecnnError
from telecnn.telemetry.detector.baseline import rule_detect
from telecnn.telemetry.detector.detect import Detector, load_detector
from telecnn.telemetry.detector.evaluate import TypeScore, median_interval, score_lap
from telecnn.telemetry.detector.features import known_channels, lap_times
from telecnn.telemetry.detector.train import reference_events
from telecnn.telemetry.schema import EVENT_TYPES, SIM_ONLY_EVENTS, Lap, supported_events
from telecnn.telemetry.sources.files import write_frame

ModelArg = Detector | str | os.PathLike[str] | None


def pick_detector(
    detector: str, model: ModelArg = None, channels: Sequence[str] | None = None
) -> Detector | None:
    """Check the detector choice and channel names; load the CNN (None for the rules)."""
    if channels is not None:
        known_channels(channels)
    if detector == "rules":
        return None
    if detector != "cnn":
        raise TelecnnError(f"unknown detector {detector!r}: use cnn or rules")
    net = model if isinstance(model, Detector) else load_detector(model)
    if channels is not None:
        net.check_channels(channels)
    return net


def detect_many(
    laps: Sequence[Lap],
    detector: str = "cnn",
    channels: Sequence[str] | None = None,
    model: ModelArg = None,
    batch_size: int = 64,
    progress: bool = False,
) -> list[pd.DataFrame]:
    """Events of every lap with the CNN (batched) or the rule detector."""
    if detector == "rules":
        bar = tqdm(
            laps, desc="rules", unit="lap", file=sys.stderr, disable=not progress, leave=False
        )
        return [rule_detect(lap, channels) for lap in bar]
    net = pick_detector(detector, model, channels)
    assert net is not None
    return net.detect_laps(laps, channels, batch_size, progress)


def all_events(laps: Sequence[Lap], found: Sequence[pd.DataFrame]) -> pd.DataFrame:
    """One frame of every lap's events; ``driver`` and ``lap`` columns when there are several."""
    if len(laps) == 1:
        return found[0].reset_index(drop=True)
    parts = []
    for lap, events in zip(laps, found, strict=True):
        part = events.copy()
        part.insert(0, "lap", lap.meta.lap_number)
        part.insert(0, "driver", lap.meta.driver or lap.meta.circuit or lap.meta.source)
        parts.append(part)
    return pd.concat(parts, ignore_index=True)


def write_events(
    path: str | os.PathLike[str], laps: Sequence[Lap], found: Sequence[pd.DataFrame]
) -> Path:
    """Write all events atomically as CSV, JSON (a list of records) or Parquet."""
    return write_frame(all_events(laps, found), path)


def evaluate_laps(
    laps: Sequence[Lap],
    detector: str = "cnn",
    channels: Sequence[str] | None = None,
    model: ModelArg = None,
    progress: bool = False,
) -> dict[str, TypeScore]:
    """Per-type scores of a detector against each lap's rule labels (plus simulator truth).

    With ``channels``, only the types those channels can show are scored; the types only the
    simulator labels (wheelspin, lock-up) only on laps that carry its truth.
    """
    found = detect_many(laps, detector, channels, model, progress=progress)
    types = EVENT_TYPES if channels is None else supported_events(channels)
    labelled_by_rules = tuple(t for t in types if t not in SIM_ONLY_EVENTS)
    scores: dict[str, TypeScore] = {}
    for lap, events in zip(laps, found, strict=True):
        interval = median_interval(lap_times(lap.data))
        scored = types if lap.truth is not None else labelled_by_rules
        score_lap(events, reference_events(lap), interval, scores, scored)
    return scores
