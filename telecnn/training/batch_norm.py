"""Batch-norm statistics that match the trained weights (PreciseBN).

During training a batch-norm layer keeps an exponential average (momentum 0.1) of the batch
statistics it saw over roughly the last 20 steps. Those steps ran under weights that kept
moving (Adam at 1e-3 shifts a deep layer's activations by almost half a standard deviation
within an epoch), so the averages lag behind the final weights and evaluation, which uses
them, sees a different network from the one training measured. Re-estimating the statistics
under the final weights, as an equal-weight average over a fixed set of training batches
("Rethinking 'Batch' in BatchNorm", Wu and Johnson, 2021), removes that lag.
"""

from __future__ import annotations

from collections.abc import Iterable

import torch
from torch import nn


def batch_norm_layers(model: nn.Module) -> list[nn.modules.batchnorm._BatchNorm]:
    """Every batch-norm layer of ``model`` that tracks running statistics."""
    return [
        m
        for m in model.modules()
        if isinstance(m, nn.modules.batchnorm._BatchNorm) and m.track_running_stats
    ]


@torch.no_grad()
def recalibrate_batch_norm(model: nn.Module, batches: Iterable[torch.Tensor]) -> int:
    """Replace every running mean and variance with the average over ``batches`` of the batch
    statistics under the model's current weights; returns how many batches were seen.

    The forward passes run in training mode (so each layer normalises by its batch, as in
    training) without touching the weights, in the caller's precision (float32 from
    :func:`telecnn.training.fit`, which calls this outside autocast); momenta and step counts
    are restored afterwards.
    A model without batch norm, or an empty ``batches``, is left as it was.
    """
    layers = batch_norm_layers(model)
    if not layers:
        return 0
    saved = [
        (m.running_mean.clone(), m.running_var.clone(), m.num_batches_tracked.clone(), m.momentum)
        for m in layers
    ]
    was_training = model.training
    for m in layers:
        m.reset_running_stats()
        m.momentum = None  # a cumulative (equal-weight) average over the batches
    model.train()
    seen = 0
    try:
        for inputs in batches:
            model(inputs)
            seen += 1
    finally:
        for m, (mean, var, steps, momentum) in zip(layers, saved, strict=True):
            m.momentum = momentum
            m.num_batches_tracked.copy_(steps)  # still the training steps taken
            if seen == 0:
                m.running_mean.copy_(mean)
                m.running_var.copy_(var)
        model.train(was_training)
    return seen
