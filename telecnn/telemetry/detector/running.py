"""The one way to run a detector on laps: the CNN (shipped or a checkpoint) or the rules.

>>> detect_laps(laps)                                   # the shipped CNN
>>> detect_laps(laps, "rules", channels=["Speed"])      # the speed-only rule baseline
>>> detect_laps(laps, "runs/mine")                      # a checkpoint or run folder
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Literal

import pandas as pd

from telecnn.telemetry.detector.baseline import rule_detect_laps
from telecnn.telemetry.detector.features import known_channels
from telecnn.telemetry.sources import as_lap

if TYPE_CHECKING:  # the CNN (torch) loads only when a CNN is asked for
    from telecnn.telemetry.detector.detector import Detector

    #: What names a detector: ``"cnn"`` (or None) for the shipped CNN, ``"rules"`` for the
    #: rule baseline, a loaded :class:`Detector`, or the path of a checkpoint or run folder.
    DetectorChoice = Detector | Literal["cnn", "rules"] | str | os.PathLike[str] | None
else:
    DetectorChoice = Any


def choose_detector(
    detector: DetectorChoice = "cnn", channels: Sequence[str] | None = None, engine: str = "numpy"
) -> Detector | Literal["rules"]:
    """The detector ``detector`` names, loaded (once, its forward pass on ``engine``: numpy
    or torch) and checked against ``channels``: a :class:`Detector`, or ``"rules"``. Fails
    before any lap is read."""
    if channels is not None:
        known_channels(channels)
    if isinstance(detector, str) and detector == "rules":
        return "rules"
    from telecnn.telemetry.detector.detector import Detector
    from telecnn.telemetry.detector.loading import load_detector

    if not isinstance(detector, Detector):
        detector = load_detector(None if detector in (None, "cnn") else detector, engine=engine)
    if channels is not None:
        detector.check_channels(channels)
    return detector


def detect_laps(
    laps: Sequence[Any],
    detector: DetectorChoice = "cnn",
    channels: Sequence[str] | None = None,
    batch_size: int = 64,
    progress: bool = False,
) -> list[pd.DataFrame]:
    """Events of every lap (:class:`Lap`, fastf1 ``Telemetry`` or telemetry DataFrame), with the
    CNN (batched: one forward pass per ``batch_size`` laps) or the rules. ``channels``: read
    only these (e.g. ``["Speed"]``); a detector reports only the types they can show."""
    chosen = choose_detector(detector, channels)
    laps = [as_lap(x) for x in laps]
    if chosen == "rules":
        found = rule_detect_laps(laps, channels)  # a race in a fraction of a second
    else:
        found = chosen.detect_laps(laps, channels, batch_size, progress)
    return found


def detect(
    lap: Any, detector: DetectorChoice = "cnn", channels: Sequence[str] | None = None
) -> pd.DataFrame:
    """Events of one lap: ``detect(lap.get_car_data())``, ``detect(lap, channels=["Speed"])``."""
    return detect_laps([lap], detector, channels)[0]
