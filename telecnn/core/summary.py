"""Model summary: each leaf layer's output shape and parameter count, and the total."""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn


@dataclass(frozen=True)
class LayerRow:
    """One row of a summary: a leaf module's dotted name, type, output shape and parameters."""

    name: str
    kind: str
    output_shape: tuple[int, ...]
    params: int


def count_parameters(model: nn.Module, trainable_only: bool = True) -> int:
    """Number of (trainable) parameters of ``model``."""
    return sum(p.numel() for p in model.parameters() if p.requires_grad or not trainable_only)


def summarize(model: nn.Module, input_shape: tuple[int, ...]) -> list[LayerRow]:
    """Run one zero input of ``input_shape`` (batch included) and record every leaf layer."""
    rows: list[LayerRow] = []
    hooks = []
    for name, module in model.named_modules():
        if any(True for _ in module.children()):
            continue

        def record(mod: nn.Module, _inp: object, out: object, name: str = name) -> None:
            shape = tuple(out.shape) if isinstance(out, torch.Tensor) else ()
            params = sum(p.numel() for p in mod.parameters(recurse=False))
            rows.append(LayerRow(name, type(mod).__name__, shape, params))

        hooks.append(module.register_forward_hook(record))
    was_training = model.training
    model.eval()
    try:
        device = next((p.device for p in model.parameters()), torch.device("cpu"))
        with torch.no_grad():
            model(torch.zeros(input_shape, device=device))
    finally:
        for hook in hooks:
            hook.remove()
        model.train(was_training)
    return rows


def format_summary(model: nn.Module, input_shape: tuple[int, ...]) -> str:
    """A printable table of :func:`summarize` with the total parameter count."""
    rows = summarize(model, input_shape)
    width = max([len(r.name) for r in rows] + [5])
    lines = [f"{'layer':<{width}}  {'type':<18} {'output shape':<22} {'params':>10}"]
    lines += [
        f"{r.name:<{width}}  {r.kind:<18} {str(list(r.output_shape)):<22} {r.params:>10,}"
        for r in rows
    ]
    lines.append(f"total parameters: {count_parameters(model):,}")
    return "\n".join(lines)
