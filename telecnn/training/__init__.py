"""One training loop and one checkpoint format for every pipeline."""

from telecnn.training.checkpoint import load_checkpoint, resolve_checkpoint, save_checkpoint
from telecnn.training.distributed import DistContext, init_distributed, shutdown
from telecnn.training.loop import Progress, RunSpec, fit, restore, resume

__all__ = [
    "DistContext",
    "Progress",
    "RunSpec",
    "fit",
    "init_distributed",
    "load_checkpoint",
    "resolve_checkpoint",
    "restore",
    "resume",
    "save_checkpoint",
    "shutdown",
]
