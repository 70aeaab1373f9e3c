"""One training loop and one checkpoint format for every pipeline."""

from telecnn.training.checkpoint import load_checkpoint, resolve_checkpoint, save_checkpoint
from telecnn.training.distributed import DistContext, init_distributed, local_device, shutdown
from telecnn.training.loop import Progress, RunSpec, fit, resume

__all__ = [
    "DistContext",
    "Progress",
    "RunSpec",
    "fit",
    "init_distributed",
    "load_checkpoint",
    "local_device",
    "resolve_checkpoint",
    "resume",
    "save_checkpoint",
    "shutdown",
]
