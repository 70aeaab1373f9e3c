"""Loading a detector checkpoint (the shipped default or one of a training run), once.

Checkpoints load with ``weights_only=True`` (:func:`telecnn.training.load_checkpoint`): a file
a user hands over is never unpickled.
"""

from __future__ import annotations

import os
from importlib import resources
from pathlib import Path

import torch

from telecnn.errors import CheckpointError
from telecnn.telemetry.detector.detector import Detector
from telecnn.telemetry.detector.features import GRID_HZ, Normalisation
from telecnn.telemetry.detector.model import MODEL_NAME, build_model
from telecnn.telemetry.detector.postprocess import DEFAULT_THRESHOLDS
from telecnn.telemetry.schema import EVENT_TYPES
from telecnn.training.checkpoint import load_checkpoint, resolve_checkpoint

#: The ``kind`` every detector checkpoint carries.
KIND = "event-detector"


def default_model_path() -> Path:
    """The default detector shipped inside the package."""
    return Path(str(resources.files("telecnn.telemetry") / "assets" / "detector.pt"))


_loaded: dict[tuple[str, int, int, str], Detector] = {}


def load_detector(
    path: str | os.PathLike[str] | None = None, device: str | torch.device = "cpu"
) -> Detector:
    """The detector at ``path`` (a checkpoint or a run folder; default: the one shipped with the
    package), read once: later calls return the same :class:`Detector` until the file changes."""
    file = resolve_checkpoint(default_model_path() if path is None else path)
    stat = file.stat()
    key = (str(file.resolve()), stat.st_mtime_ns, stat.st_size, str(device))
    if key not in _loaded:
        _loaded[key] = _read_detector(file, device)
    return _loaded[key]


def _read_detector(path: Path, device: str | torch.device) -> Detector:
    state = load_checkpoint(path, kind=KIND, map_location=device)
    extra = state.get("extra") or {}
    if state.get("model_name") != MODEL_NAME or "normalisation" not in extra:
        raise CheckpointError(f"{path} is not an {MODEL_NAME} event detector checkpoint")
    trained_for = extra.get("event_types")
    if trained_for != list(EVENT_TYPES):
        what = ", ".join(trained_for) if trained_for else "an older event taxonomy (no clipping)"
        raise CheckpointError(
            f"{path} was trained for {what}; this telecnn detects {', '.join(EVENT_TYPES)}: "
            "retrain it with telecnn train-events"
        )
    model = build_model(state["model_config"])
    try:
        model.load_state_dict(state["model_state"])
    except RuntimeError as exc:
        raise CheckpointError(f"{path}: weights do not fit the stored model config") from exc
    model.to(device).eval()
    return Detector(
        model=model,
        norm=Normalisation.from_dict(extra["normalisation"]),
        hz=float(extra.get("grid_hz", GRID_HZ)),
        thresholds={**DEFAULT_THRESHOLDS, **extra.get("thresholds", {})},
        device=torch.device(device),
        source=str(path),
        channel_thresholds=extra.get("channel_thresholds", {}),
    )
