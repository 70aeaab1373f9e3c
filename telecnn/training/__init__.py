"""One training loop and one checkpoint format for every pipeline."""

from telecnn.errors import TrainingStopped
from telecnn.training.checkpoint import load_checkpoint, resolve_checkpoint, save_checkpoint
from telecnn.training.distributed import DistContext, init_distributed, shutdown
from telecnn.training.loop import Progress, RunSpec, fit, restore
from telecnn.training.run_folder import RunPlan, hold_run_folder, plan_run

__all__ = [
    "DistContext",
    "Progress",
    "RunPlan",
    "RunSpec",
    "TrainingStopped",
    "fit",
    "hold_run_folder",
    "init_distributed",
    "load_checkpoint",
    "plan_run",
    "resolve_checkpoint",
    "restore",
    "save_checkpoint",
    "shutdown",
]
