"""One training loop and one checkpoint format for every pipeline.

The names below load their module (and torch) only when first used, so a command that only
locks a run folder (:mod:`.run_folder`) never imports torch.
"""

from __future__ import annotations

from telecnn.errors import TrainingStopped as TrainingStopped
from telecnn.lazy import lazy_attributes

#: Each public name (but the light :class:`TrainingStopped`) and the submodule it lives in.
_HOMES = {
    "load_checkpoint": "checkpoint",
    "resolve_checkpoint": "checkpoint",
    "save_checkpoint": "checkpoint",
    "DistContext": "distributed",
    "init_distributed": "distributed",
    "shutdown": "distributed",
    "Progress": "loop",
    "RunSpec": "loop",
    "fit": "loop",
    "restore": "loop",
    "RunPlan": "run_folder",
    "hold_run_folder": "run_folder",
    "plan_run": "run_folder",
}
__all__ = sorted([*_HOMES, "TrainingStopped"])
__getattr__, __dir__ = lazy_attributes(__name__, globals(), _HOMES)
