"""One training loop and one checkpoint format for every pipeline.

The names below load their module (and torch) only when first used, so a command that only
locks a run folder (:mod:`.run_folder`) never imports torch.
"""

from __future__ import annotations

import importlib
from typing import Any

#: Each public name and the module that defines it.
_WHERE = {
    "TrainingStopped": "telecnn.errors",
    "load_checkpoint": "telecnn.training.checkpoint",
    "resolve_checkpoint": "telecnn.training.checkpoint",
    "save_checkpoint": "telecnn.training.checkpoint",
    "DistContext": "telecnn.training.distributed",
    "init_distributed": "telecnn.training.distributed",
    "shutdown": "telecnn.training.distributed",
    "Progress": "telecnn.training.loop",
    "RunSpec": "telecnn.training.loop",
    "fit": "telecnn.training.loop",
    "restore": "telecnn.training.loop",
    "RunPlan": "telecnn.training.run_folder",
    "hold_run_folder": "telecnn.training.run_folder",
    "plan_run": "telecnn.training.run_folder",
}
__all__ = sorted(_WHERE)


def __getattr__(name: str) -> Any:
    if name not in _WHERE:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(_WHERE[name]), name)
    globals()[name] = value
    return value
