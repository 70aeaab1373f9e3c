"""Loading a trained image classifier back from its run directory or checkpoint file."""

from __future__ import annotations

import os
from typing import Any

from telecnn.device import pick_device
from telecnn.errors import CheckpointError, reading
from telecnn.training import load_checkpoint
from vision.models import MODELS, StagedClassifier, create_model

KIND = "image-classifier"  # the checkpoint kind of every image-classifier run


def load_trained(
    path: str | os.PathLike[str], device: str = "cpu"
) -> tuple[StagedClassifier, dict[str, Any]]:
    """A trained classifier from a run directory or checkpoint, in eval mode, and its state."""
    state = load_checkpoint(path, kind=KIND)
    name = state.get("model_name")
    if name not in MODELS:
        raise CheckpointError(f"{path} holds an unknown image model {name!r}")
    with reading(path, f"a {name} checkpoint telecnn can load"):
        model = create_model(name, **dict(state.get("model_config") or {}))
        try:
            model.load_state_dict(state["model_state"])
        except (KeyError, RuntimeError) as exc:
            raise CheckpointError(f"{path} does not hold {name} weights") from exc
    return model.to(pick_device(device)).eval(), state
