"""One checkpoint format for every model: a plain dict that ``torch.load(weights_only=True)`` reads.

Keys: ``format`` (always ``"telecnn"``), ``kind`` (``"image-classifier"``, ``"event-detector"``),
``model_name``, ``model_config``, ``model_state``, and for resumable runs ``optimizer_state``,
``scheduler_state``, ``epoch``, ``history``; ``extra`` holds what a pipeline needs beside the
weights (channels, normalisation, thresholds...). Nothing user-supplied is ever unpickled.
"""

from __future__ import annotations

import os
import pickle
import zipfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

from telecnn.atomic import atomic_path
from telecnn.errors import CheckpointError, DataNotFoundError
from telecnn.words import with_article

if TYPE_CHECKING:  # torch loads when a checkpoint is read or written, not to name a run's files
    import torch

FORMAT = "telecnn"
CHECKPOINT_NAME = "checkpoint.pt"
#: The per-epoch history the loop writes beside the checkpoint.
HISTORY_NAME = "history.json"


def save_checkpoint(path: str | os.PathLike[str], state: dict[str, Any]) -> Path:
    """Write ``state`` (plus the format tag) to ``path`` atomically."""
    import torch

    with atomic_path(path) as tmp, open(tmp, "wb") as out:
        # through a Python file, so a failed write keeps its OS error (no space, too large)
        torch.save({"format": FORMAT, **state}, out)
    return Path(path)


def resolve_checkpoint(path: str | os.PathLike[str]) -> Path:
    """Accept a checkpoint file or a run directory holding ``checkpoint.pt``."""
    p = Path(path)
    if p.is_dir():
        p = p / CHECKPOINT_NAME
    if not p.is_file():
        raise DataNotFoundError(f"no checkpoint at {p}")
    return p


def load_checkpoint(
    path: str | os.PathLike[str], kind: str | None = None, map_location: str | torch.device = "cpu"
) -> dict[str, Any]:
    """Load a telecnn checkpoint safely (``weights_only=True``) and check its ``kind``."""
    p = resolve_checkpoint(path)
    import torch

    if not zipfile.is_zipfile(p):  # what torch.save writes is a zip archive
        raise CheckpointError(
            f"{p} is not a readable telecnn checkpoint (not what torch.save writes)"
        )
    try:
        state = torch.load(p, map_location=map_location, weights_only=True)
    except (pickle.UnpicklingError, zipfile.BadZipFile, RuntimeError, EOFError, OSError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise CheckpointError(f"{p} is not a readable telecnn checkpoint ({first[:120]})") from exc
    if not isinstance(state, dict) or state.get("format") != FORMAT:
        raise CheckpointError(f"{p} is not a telecnn checkpoint")
    if kind is not None and state.get("kind") != kind:
        raise CheckpointError(
            f"{p} holds {with_article(str(state.get('kind', 'unknown')))} model "
            f"({state.get('model_name', '?')}), not {with_article(kind)}"
        )
    return state
