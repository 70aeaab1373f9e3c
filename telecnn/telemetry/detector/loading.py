"""Loading a detector checkpoint (the shipped default or one of a training run), once.

Checkpoints load with ``weights_only=True`` (:func:`telecnn.training.load_checkpoint`): a file
a user hands over is never unpickled. With the NumPy engine (the default) the shipped detector
is read from its folded arrays (``detector.npz``, written beside ``detector.pt`` by
``scripts/train_default_detector.py``): no torch is imported; a run's checkpoint is read with
torch and folded.
"""

from __future__ import annotations

import os
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

from telecnn.errors import CheckpointError, reading
from telecnn.telemetry.detector.detector import Detector
from telecnn.telemetry.detector.features import GRID_HZ, Normalisation, known_channels
from telecnn.telemetry.detector.postprocess import DEFAULT_THRESHOLDS
from telecnn.telemetry.laps.schema import EVENT_TYPES

#: The ``kind`` every detector checkpoint carries, and the architecture's name.
KIND = "event-detector"
MODEL_NAME = "event-cnn"
#: How the forward pass runs: ``numpy`` (telecnn.kernels, no torch) or ``torch`` (CUDA too).
ENGINES = ("numpy", "torch")
#: What a detector file must be, in the one line that refuses one.
WHAT = "an event detector telecnn can run"


def default_model_path() -> Path:
    """The default detector shipped inside the package."""
    return Path(str(resources.files("telecnn.telemetry") / "assets" / "detector.pt"))


def default_folded_path() -> Path:
    """The shipped detector's folded arrays, for the NumPy engine."""
    return default_model_path().with_suffix(".npz")


_loaded: dict[tuple[str, int, int, str, str], Detector] = {}


def load_detector(
    path: str | os.PathLike[str] | None = None, device: Any = "cpu", engine: str = "numpy"
) -> Detector:
    """The detector at ``path`` (a checkpoint or a run folder; default: the one shipped with the
    package) on ``engine`` (``numpy``: no torch at all for the shipped one; ``torch``, on
    ``device``), read once: later calls return the same :class:`Detector` until the file
    changes."""
    if engine not in ENGINES:
        raise CheckpointError(f"unknown engine {engine!r}: use {' or '.join(ENGINES)}")
    if path is None and engine == "numpy":
        file = default_folded_path()
    else:
        from telecnn.training.checkpoint import resolve_checkpoint

        file = resolve_checkpoint(default_model_path() if path is None else path)
    stat = file.stat()
    key = (str(file.resolve()), stat.st_mtime_ns, stat.st_size, str(device), engine)
    if key not in _loaded:
        if file.suffix == ".npz":
            _loaded[key] = _read_folded(file)
        else:
            _loaded[key] = _read_detector(file, device, engine)
    return _loaded[key]


def _read_folded(path: Path) -> Detector:
    from telecnn.telemetry.detector.numpy_engine import NumpyEngine, load_folded

    folded, meta = load_folded(path)
    with reading(path, WHAT):
        _check_extra(path, meta)
        engine = NumpyEngine(folded)
        return _checked(_detector(None, meta, "cpu", str(path.with_suffix(".pt")), engine))


def _check_extra(path: Path, extra: dict[str, Any]) -> None:
    trained_for = extra.get("event_types")
    if trained_for != list(EVENT_TYPES):
        what = ", ".join(trained_for) if trained_for else "an older event taxonomy (no clipping)"
        raise CheckpointError(
            f"{path} was trained for {what}; this telecnn detects {', '.join(EVENT_TYPES)}: "
            "retrain it with telecnn train-events"
        )


def _detector(model: Any, extra: dict[str, Any], device: Any, source: str, engine: Any) -> Detector:
    norm = Normalisation.from_dict(extra["normalisation"])
    if not len(norm.channels) == len(norm.mean) == len(norm.std) or min(norm.std) <= 0:
        raise ValueError("its normalisation does not fit its channels")
    known_channels(norm.channels)
    hz = float(extra.get("grid_hz", GRID_HZ))
    if not 0 < hz < 1000:
        raise ValueError(f"its grid rate {hz} Hz is not a rate")
    channel_thresholds = dict(extra.get("channel_thresholds", {}))
    for levels in (extra.get("thresholds", {}), *channel_thresholds.values()):
        _numbers(levels)
    return Detector(
        model=model,
        norm=norm,
        hz=hz,
        thresholds={**DEFAULT_THRESHOLDS, **extra.get("thresholds", {})},
        device=device,
        source=source,
        channel_thresholds=channel_thresholds,
        engine=engine,
        card=dict(extra["card"]) if isinstance(extra.get("card"), dict) else {},
    )


def _numbers(thresholds: dict[str, dict[str, float]]) -> None:
    """Thresholds as numbers per event type and setting (a TypeError or ValueError if not)."""
    for settings in thresholds.values():
        for value in settings.values():
            float(value)


#: Grid samples of the all-zero lap :func:`_checked` runs through a freshly read network.
_PROBE_SAMPLES = 64


def _checked(detector: Detector) -> Detector:
    """``detector`` once an all-zero lap has gone through its network: weights that do not
    fit its channels or its event types fail here, as the file's fault, not on the laps."""
    batch = np.zeros((1, 2 * len(detector.channels), _PROBE_SAMPLES), dtype=np.float32)
    probs = detector._forward(batch)
    if probs.shape != (1, len(EVENT_TYPES), _PROBE_SAMPLES) or not np.isfinite(probs).all():
        raise ValueError(
            f"its network gives {probs.shape[1]} outputs for {len(EVENT_TYPES)} event types"
        )
    return detector


def _read_detector(path: Path, device: Any, engine: str) -> Detector:
    import torch

    from telecnn.telemetry.detector.model import build_model
    from telecnn.training.checkpoint import load_checkpoint

    state = load_checkpoint(path, kind=KIND, map_location=device)
    extra = state.get("extra") or {}
    if state.get("model_name") != MODEL_NAME or "normalisation" not in extra:
        raise CheckpointError(f"{path} is not an {MODEL_NAME} event detector checkpoint")
    with reading(path, WHAT):
        _check_extra(path, extra)
        model = build_model(dict(state["model_config"]))
        try:
            model.load_state_dict(state["model_state"])
        except RuntimeError as exc:
            raise CheckpointError(f"{path}: weights do not fit the stored model config") from exc
        model.to(device).eval()
        numpy_engine = None
        if engine == "numpy":
            from telecnn.telemetry.detector.numpy_engine import NumpyEngine, fold_model

            numpy_engine = NumpyEngine(fold_model(model))
        detector = _detector(model, extra, torch.device(device), str(path), numpy_engine)
        return _checked(detector)


def export_folded(checkpoint: str | Path, out: str | Path | None = None) -> Path:
    """Fold a detector checkpoint (``.pt``) into the NumPy engine's ``.npz`` (default: beside
    it), with what detection needs (the checkpoint's ``extra``)."""
    from telecnn.telemetry.detector.numpy_engine import fold_model, save_folded

    checkpoint = Path(checkpoint)
    target = Path(out) if out is not None else checkpoint.with_suffix(".npz")
    detector = load_detector(checkpoint, engine="torch")
    save_folded(target, fold_model(detector.model), detector.extra())
    return target
