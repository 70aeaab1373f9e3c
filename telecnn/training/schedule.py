"""Learning-rate schedules for the shared training loop."""

from __future__ import annotations

import math

import torch


def warmup_cosine(
    optimizer: torch.optim.Optimizer, total_steps: int, warmup: float = 0.1
) -> torch.optim.lr_scheduler.LambdaLR:
    """Linear warm-up then cosine decay to 5% over ``total_steps`` (steps past it stay at 5%,
    so a resumed run with more epochs simply re-plans the remaining decay)."""
    ramp = max(1, int(total_steps * warmup))

    def factor(step: int) -> float:
        if step < ramp:
            return (step + 1) / ramp
        done = min(1.0, (step - ramp) / max(1, total_steps - ramp))
        return 0.05 + 0.95 * 0.5 * (1 + math.cos(math.pi * done))

    return torch.optim.lr_scheduler.LambdaLR(optimizer, factor)
