"""The telemetry event detector: a 1D CNN from the shared core, trained on simulated laps.

>>> from telecnn.telemetry.detector import detect, detect_laps
>>> events = detect(lap.get_car_data())            # a fastf1 Telemetry, a Lap or a DataFrame
>>> events = detect(lap, channels=["Speed"])        # only the speed trace
>>> found = detect_laps(laps, "rules")              # the rule baseline, same call

Data flows one way: lap -> grid input (:mod:`.features`) -> :class:`EventCNN` (:mod:`.model`)
-> probabilities (:class:`Detector`) -> events (:mod:`.postprocess`). :mod:`.evaluate`
matches events against labels, :mod:`.scoring` scores a detector on laps, and :mod:`.train`
trains one with the project's one loop (laps, examples, loss and tuning in modules of their
own).
"""

from telecnn.telemetry.detector.config import DetectorTrainConfig
from telecnn.telemetry.detector.detector import Detector, LapProbabilities
from telecnn.telemetry.detector.evaluate import TypeScore, format_scores, score_lap
from telecnn.telemetry.detector.loading import default_model_path, load_detector
from telecnn.telemetry.detector.model import EventCNN
from telecnn.telemetry.detector.running import choose_detector, detect, detect_laps
from telecnn.telemetry.detector.scoring import evaluate_laps
from telecnn.telemetry.detector.train import train_detector

__all__ = [
    "Detector",
    "DetectorTrainConfig",
    "EventCNN",
    "LapProbabilities",
    "TypeScore",
    "choose_detector",
    "default_model_path",
    "detect",
    "detect_laps",
    "evaluate_laps",
    "format_scores",
    "load_detector",
    "score_lap",
    "train_detector",
]
