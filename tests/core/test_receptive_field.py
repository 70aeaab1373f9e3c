"""receptive_field agrees with the span of inputs that actually reach one output."""

from __future__ import annotations

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch import nn

from telecnn.core import ResidualBlock, conv, receptive_field


def _measured_span(model: nn.Module, dim: int, size: int) -> int:
    """Width of the input region whose values change one central output (gradient != 0)."""
    x = torch.zeros(1, 1, *([size] * dim), requires_grad=True)
    out = model(x)
    centre = tuple(n // 2 for n in out.shape[2:])
    out[(0, 0, *centre)].backward()
    touched = x.grad[0, 0].abs() > 0
    axis = touched.any(dim=tuple(range(1, dim))) if dim > 1 else touched
    where = torch.nonzero(axis).flatten()
    return int(where[-1] - where[0] + 1)


def _stack(dim: int, kernels: list[int], dilations: list[int], strides: list[int]) -> nn.Module:
    layers = [
        conv(dim, 1, 1, k, s, padding=0, dilation=d, bias=False)
        for k, d, s in zip(kernels, dilations, strides, strict=True)
    ]
    model = nn.Sequential(*layers)
    with torch.no_grad():
        for layer in layers:
            layer.weight.fill_(1.0)  # positive weights: nothing cancels
    return model


@settings(max_examples=25, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(1, 5), st.integers(1, 4), st.integers(1, 3)), min_size=1, max_size=4
    )
)
def test_formula_matches_an_impulse_measurement_in_1d(layers: list[tuple[int, int, int]]) -> None:
    kernels, dilations, strides = map(list, zip(*layers, strict=True))
    expected = receptive_field(kernels, dilations, strides)
    assert _measured_span(_stack(1, kernels, dilations, strides), 1, 4 * expected + 40) == expected


def test_formula_matches_in_2d_and_for_a_dilated_temporal_stack() -> None:
    kernels, dilations, strides = [3, 3, 3], [1, 2, 1], [2, 1, 1]
    expected = receptive_field(kernels, dilations, strides)
    assert expected == 1 + 2 + 2 * 2 * 2 + 2 * 2
    assert _measured_span(_stack(2, kernels, dilations, strides), 2, 48) == expected
    assert receptive_field([3] * 4, [1, 2, 4, 8]) == 31  # a TCN: kernel 3, dilations doubling


@pytest.mark.parametrize(("stride", "dilation"), [(1, 1), (2, 1), (1, 3)])
def test_a_residual_block_sees_what_its_two_convs_see(stride: int, dilation: int) -> None:
    block = ResidualBlock(1, 1, 1, stride=stride, dilation=dilation).eval()
    with torch.no_grad():
        for layer in (block.conv1, block.conv2):
            layer.weight.fill_(1.0)
        for bn in (block.bn1, block.bn2):
            bn.bias.fill_(1.0)  # keep the inner ReLU open everywhere
    expected = receptive_field([3, 3], [dilation, dilation], [stride, 1])
    assert _measured_span(block, 1, 101) == expected
