"""summarize / format_summary: each leaf layer's shape and parameters, and the total."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from telecnn.core import (
    ConvNormAct,
    ResidualBlock,
    count_parameters,
    format_summary,
    global_avg_pool,
    pool,
    summarize,
)


def _model(dim: int) -> nn.Module:
    return nn.Sequential(
        ConvNormAct(dim, 3, 8),
        pool(dim, "max", 2),
        ResidualBlock(dim, 8, 16, stride=2),
        global_avg_pool(dim),
        nn.Flatten(),
        nn.Linear(16, 10),
    )


@pytest.mark.parametrize("dim", [1, 2])
def test_rows_give_output_shapes_and_parameters_adding_to_the_total(dim: int) -> None:
    model = _model(dim)
    rows = summarize(model, (2, 3, *([32] * dim)))
    names = [row.name for row in rows]
    assert names[0] == "0.0" and names[-1] == "5"
    by_name = {row.name: row for row in rows}
    assert by_name["0.0"].output_shape == (2, 8, *([32] * dim))
    assert by_name["1"].output_shape == (2, 8, *([16] * dim))
    assert by_name["2.act2"].output_shape == (2, 16, *([8] * dim))
    assert by_name["5"].output_shape == (2, 10)
    assert by_name["0.0"].params == 8 * 3 * 3**dim and by_name["5"].params == 16 * 10 + 10
    assert sum(row.params for row in rows) == count_parameters(model)
    assert model.training  # summarize leaves the mode as it was


def test_format_summary_lists_every_row_and_the_total() -> None:
    model = _model(1)
    text = format_summary(model, (1, 3, 64))
    lines = text.splitlines()
    assert len(lines) == 1 + len(summarize(model, (1, 3, 64))) + 1
    assert lines[-1] == f"total parameters: {count_parameters(model):,}"
    assert any(line.startswith("5 ") and "[1, 10]" in line and "170" in line for line in lines)


def test_count_parameters_can_skip_frozen_ones() -> None:
    model = _model(2)
    for p in model[0].parameters():
        p.requires_grad_(False)
    frozen = sum(p.numel() for p in model[0].parameters())
    assert count_parameters(model) == count_parameters(model, trainable_only=False) - frozen
    with torch.no_grad():
        assert summarize(model, (1, 3, 8, 8))[-1].output_shape == (1, 10)
