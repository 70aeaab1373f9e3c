"""Layer factories build the right torch layer for 1D traces and 2D images."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from telecnn.core import (
    activation,
    conv,
    count_parameters,
    global_avg_pool,
    norm,
    pool,
    same_padding,
)


@pytest.mark.parametrize("dim", [1, 2])
@pytest.mark.parametrize(("kernel", "dilation"), [(3, 1), (3, 2), (5, 3), (1, 1), (7, 4)])
def test_same_padding_keeps_the_size_with_dilation(dim: int, kernel: int, dilation: int) -> None:
    layer = conv(dim, 3, 5, kernel, dilation=dilation)
    x = torch.randn(2, 3, *([17] * dim))
    assert layer(x).shape == (2, 5, *([17] * dim))
    assert type(layer) is (nn.Conv1d if dim == 1 else nn.Conv2d)


@pytest.mark.parametrize("dim", [1, 2])
def test_strided_same_conv_halves_the_size(dim: int) -> None:
    layer = conv(dim, 4, 8, 3, stride=2)
    assert layer(torch.randn(1, 4, *([16] * dim))).shape == (1, 8, *([8] * dim))


def test_even_effective_kernel_cannot_be_same_padded() -> None:
    assert same_padding(5, 2) == 4
    with pytest.raises(ValueError, match="odd effective kernel"):
        conv(1, 1, 1, 4)


@pytest.mark.parametrize("dim", [1, 2, 3])
@pytest.mark.parametrize(
    ("cin", "cout", "k", "groups", "bias"),
    [(3, 8, 3, 1, True), (4, 6, 5, 2, False), (6, 6, 3, 6, True)],
)
def test_conv_parameter_count_follows_the_formula(
    dim: int, cin: int, cout: int, k: int, groups: int, bias: bool
) -> None:
    layer = conv(dim, cin, cout, k, groups=groups, bias=bias)
    expected = cout * (cin // groups) * k**dim + (cout if bias else 0)
    assert count_parameters(layer) == expected


@pytest.mark.parametrize("dim", [1, 2])
def test_batch_norm_has_two_parameters_per_channel_and_none_is_identity(dim: int) -> None:
    assert count_parameters(norm(dim, 12)) == 24
    assert isinstance(norm(dim, 12, "none"), nn.Identity)
    with pytest.raises(ValueError, match="unknown norm"):
        norm(dim, 3, "layer")


def test_activations_by_name() -> None:
    x = torch.tensor([-2.0, 0.0, 3.0])
    assert torch.equal(activation("relu")(x.clone()), torch.tensor([0.0, 0.0, 3.0]))
    assert torch.equal(activation("identity")(x), x)
    assert activation("leaky_relu")(x.clone())[0] == pytest.approx(-0.2)
    with pytest.raises(ValueError, match="unknown activation 'swish'"):
        activation("swish")


@pytest.mark.parametrize("dim", [1, 2])
def test_pooling_shapes(dim: int) -> None:
    x = torch.arange(2 * 3 * 12**dim, dtype=torch.float32).reshape(2, 3, *([12] * dim))
    assert pool(dim, "max", 2)(x).shape == (2, 3, *([6] * dim))
    assert pool(dim, "avg", 3, stride=2)(x).shape == (2, 3, *([5] * dim))
    pooled = global_avg_pool(dim)(x)
    assert pooled.shape == (2, 3, *([1] * dim))
    torch.testing.assert_close(pooled.flatten(), x.flatten(2).mean(-1).flatten())
    with pytest.raises(ValueError, match="unknown pooling"):
        pool(dim, "median")


def test_dim_must_be_1_2_or_3() -> None:
    with pytest.raises(ValueError, match="dim must be 1, 2 or 3"):
        conv(4, 1, 1)
