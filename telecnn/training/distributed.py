"""DistributedDataParallel set-up for runs under ``torchrun`` (gloo on CPU, nccl on CUDA)."""

from __future__ import annotations

import os
from dataclasses import dataclass

import torch
import torch.distributed as dist


@dataclass(frozen=True)
class DistContext:
    """Where this process stands: its rank, the world size, and whether it writes outputs."""

    rank: int = 0
    world_size: int = 1
    local_rank: int = 0

    @property
    def is_main(self) -> bool:
        return self.rank == 0

    @property
    def enabled(self) -> bool:
        return self.world_size > 1


def init_distributed(device: torch.device) -> tuple[DistContext, torch.device]:
    """Join the process group when launched by ``torchrun`` (``WORLD_SIZE`` > 1) and return
    this rank's context and device: ``cuda:LOCAL_RANK`` on GPUs; on the CPU the ranks share
    the cores (threads split between them). Outside ``torchrun``: no-op, ``device`` as given."""
    world_size = int(os.environ.get("WORLD_SIZE", "1"))
    if world_size <= 1:
        return DistContext(), device
    if not dist.is_initialized():
        backend = "nccl" if device.type == "cuda" else "gloo"
        dist.init_process_group(backend=backend)
    ctx = DistContext(
        dist.get_rank(), dist.get_world_size(), int(os.environ.get("LOCAL_RANK", "0"))
    )
    if device.type == "cuda":
        torch.cuda.set_device(ctx.local_rank)
        return ctx, torch.device("cuda", ctx.local_rank)
    torch.set_num_threads(max(1, (os.cpu_count() or 1) // ctx.world_size))
    return ctx, device


def all_reduce_sum(values: torch.Tensor, ctx: DistContext) -> torch.Tensor:
    """Sum a tensor over ranks (identity when not distributed)."""
    if ctx.enabled:
        dist.all_reduce(values, op=dist.ReduceOp.SUM)
    return values


def broadcast_buffers(model: torch.nn.Module, ctx: DistContext) -> None:
    """Give every rank rank 0's buffers (batch-norm statistics): DDP syncs them only before a
    forward, so after the last step of an epoch the ranks differ until this is called."""
    if ctx.enabled:
        for buffer in model.buffers():
            dist.broadcast(buffer, src=0)


def barrier(ctx: DistContext) -> None:
    """Wait for every rank (no-op when not distributed)."""
    if ctx.enabled:
        dist.barrier()


def shutdown(ctx: DistContext) -> None:
    """Leave the process group."""
    if ctx.enabled and dist.is_initialized():
        dist.destroy_process_group()
