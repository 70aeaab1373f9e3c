"""The telemetry event detector: a 1D CNN from the shared core, trained on simulated laps.

>>> from telecnn.telemetry.detector import detect
>>> events = detect(lap.get_car_data())          # a fastf1 Telemetry, a Lap or a DataFrame
>>> events = detect(lap, channels=["Speed"])       # only the speed trace

Data flows one way: lap -> grid tensor (:mod:`.features`) -> :class:`EventCNN` (:mod:`.model`)
-> per-sample probabilities -> events (:mod:`.postprocess`); :mod:`.evaluate` scores events
against labels and :mod:`.train` trains with the project's one loop.
"""

from telecnn.telemetry.detector.api import detect_many, evaluate_laps, write_events
from telecnn.telemetry.detector.baseline import rule_detect
from telecnn.telemetry.detector.detect import (
    Detector,
    default_model_path,
    detect,
    detect_laps,
    load_detector,
)
from telecnn.telemetry.detector.evaluate import TypeScore, format_scores, score_lap
from telecnn.telemetry.detector.model import EventCNN
from telecnn.telemetry.detector.train import DetectorTrainConfig, train_detector
from telecnn.telemetry.matching import match_type

__all__ = [
    "Detector",
    "EventCNN",
    "DetectorTrainConfig",
    "TypeScore",
    "default_model_path",
    "detect",
    "detect_laps",
    "detect_many",
    "evaluate_laps",
    "format_scores",
    "load_detector",
    "match_type",
    "rule_detect",
    "score_lap",
    "train_detector",
    "write_events",
]
