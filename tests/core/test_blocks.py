"""ConvNormAct and the notebook's residual block, in 1D and 2D."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from telecnn.core import ConvNormAct, ResidualBlock, count_parameters


def _input(dim: int, channels: int, size: int = 16, batch: int = 4) -> torch.Tensor:
    torch.manual_seed(0)
    return torch.randn(batch, channels, *([size] * dim))


@pytest.mark.parametrize("dim", [1, 2])
def test_conv_norm_act_shapes_bias_and_parameters(dim: int) -> None:
    unit = ConvNormAct(dim, 3, 8, kernel_size=5, dilation=2)
    out = unit(_input(dim, 3))
    assert out.shape == (4, 8, *([16] * dim))
    assert (out >= 0).all()  # ReLU last
    conv, bn, act = unit
    assert conv.bias is None and isinstance(bn, nn.modules.batchnorm._BatchNorm)
    assert isinstance(act, nn.ReLU)
    assert count_parameters(unit) == 8 * 3 * 5**dim + 2 * 8
    plain = ConvNormAct(dim, 3, 8, norm_kind="none", act="tanh", stride=2)
    assert plain[0].bias is not None and isinstance(plain[1], nn.Identity)
    assert count_parameters(plain) == 8 * 3 * 3**dim + 8
    assert plain(_input(dim, 3)).shape == (4, 8, *([8] * dim))


def _identity_bn(bn: nn.modules.batchnorm._BatchNorm) -> None:
    bn.running_mean.zero_()
    bn.running_var.fill_(1.0)
    bn.weight.data.fill_(1.0)
    bn.bias.data.zero_()


@pytest.mark.parametrize("dim", [1, 2])
def test_residual_block_passes_non_negative_input_through_when_its_branch_is_zero(dim: int) -> None:
    block = ResidualBlock(dim, 6, 6)
    x = _input(dim, 6).abs()
    block.eval()
    assert not torch.equal(block(x), x)  # a live branch changes the signal
    with torch.no_grad():
        block.conv1.weight.zero_()
        block.conv2.weight.zero_()
        _identity_bn(block.bn1)
        _identity_bn(block.bn2)
    assert torch.equal(block(x), x)
    assert torch.equal(block(-x), torch.zeros_like(x))  # ReLU after the sum


@pytest.mark.parametrize("dim", [1, 2])
def test_projection_skip_appears_only_when_channels_or_stride_change(dim: int) -> None:
    assert isinstance(ResidualBlock(dim, 8, 8).skip, nn.Identity)
    for block, size in ((ResidualBlock(dim, 8, 16), 16), (ResidualBlock(dim, 8, 8, stride=2), 8)):
        conv, bn = block.skip
        assert conv.kernel_size == (1,) * dim and isinstance(bn, nn.modules.batchnorm._BatchNorm)
        assert block(_input(dim, 8)).shape == (4, block.bn2.num_features, *([size] * dim))


@pytest.mark.parametrize("dim", [1, 2])
@pytest.mark.parametrize(
    ("cin", "cout", "stride", "k"), [(16, 16, 1, 3), (16, 32, 2, 3), (8, 8, 2, 5), (4, 12, 1, 7)]
)
def test_residual_block_parameter_count(dim: int, cin: int, cout: int, stride: int, k: int) -> None:
    block = ResidualBlock(dim, cin, cout, stride=stride, kernel_size=k)
    expected = cin * cout * k**dim + 2 * cout + cout * cout * k**dim + 2 * cout
    if cin != cout or stride != 1:
        expected += cin * cout + 2 * cout
    assert count_parameters(block) == expected


@pytest.mark.parametrize("dim", [1, 2])
def test_zero_init_last_starts_the_block_as_the_identity(dim: int) -> None:
    block = ResidualBlock(dim, 5, 5, dilation=2, zero_init_last=True)
    assert torch.equal(block.bn2.weight, torch.zeros(5))
    x = _input(dim, 5).abs()
    assert torch.equal(block.train()(x), x)
    default = ResidualBlock(dim, 5, 5)
    assert torch.equal(default.bn2.weight, torch.ones(5))
    assert not torch.equal(default.train()(x), x)


def test_dilated_block_keeps_the_length_of_a_trace() -> None:
    block = ResidualBlock(1, 4, 4, kernel_size=3, dilation=8)
    assert block(torch.randn(2, 4, 100)).shape == (2, 4, 100)
