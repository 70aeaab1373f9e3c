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

from telecnn.lazy import lazy_attributes

#: Each public name and its module, imported when first used: the rule path (and the command
#: line) can use this package without loading torch.
_HOMES = {
    "DetectorTrainConfig": "config",
    "Detector": "detector",
    "LapProbabilities": "detector",
    "TypeScore": "evaluate",
    "format_scores": "evaluate",
    "score_lap": "evaluate",
    "default_model_path": "loading",
    "load_detector": "loading",
    "EventCNN": "model",
    "choose_detector": "running",
    "detect": "running",
    "detect_laps": "running",
    "evaluate_laps": "scoring",
    "train_detector": "train",
}


__getattr__, __dir__ = lazy_attributes(__name__, globals(), _HOMES)


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
