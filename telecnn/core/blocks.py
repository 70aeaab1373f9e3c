"""Building blocks shared by the image models and the telemetry detector."""

from __future__ import annotations

import torch
from torch import nn

from telecnn.core.layers import Padding, activation, conv, norm


class ConvNormAct(nn.Sequential):
    """Conv, then batch norm, then an activation; the conv has no bias when a norm follows."""

    def __init__(
        self,
        dim: int,
        in_channels: int,
        out_channels: int,
        kernel_size: int = 3,
        stride: int = 1,
        padding: Padding = "same",
        dilation: int = 1,
        groups: int = 1,
        norm_kind: str = "batch",
        act: str = "relu",
    ) -> None:
        super().__init__(
            conv(
                dim,
                in_channels,
                out_channels,
                kernel_size,
                stride=stride,
                padding=padding,
                dilation=dilation,
                groups=groups,
                bias=norm_kind == "none",
            ),
            norm(dim, out_channels, norm_kind),
            activation(act),
        )


class ResidualBlock(nn.Module):
    """The notebook's residual block for any ``dim``: ``act(BN(conv(act(BN(conv(x))))) + skip(x))``.

    The skip is the identity, or a 1-wide conv + BN projection when channels or stride change.
    ``dilation`` widens both convs (a temporal CNN's receptive field grows with it);
    ``zero_init_last`` starts the branch's last BN at zero so the block begins as the identity.
    """

    def __init__(
        self,
        dim: int,
        in_channels: int,
        out_channels: int,
        stride: int = 1,
        kernel_size: int = 3,
        dilation: int = 1,
        act: str = "relu",
        zero_init_last: bool = False,
    ) -> None:
        super().__init__()
        self.conv1 = conv(
            dim, in_channels, out_channels, kernel_size, stride, dilation=dilation, bias=False
        )
        self.bn1 = norm(dim, out_channels)
        self.act1 = activation(act)
        self.conv2 = conv(
            dim, out_channels, out_channels, kernel_size, 1, dilation=dilation, bias=False
        )
        self.bn2 = norm(dim, out_channels)
        self.skip: nn.Module = nn.Identity()
        if stride != 1 or in_channels != out_channels:
            self.skip = nn.Sequential(
                conv(dim, in_channels, out_channels, 1, stride, padding=0, bias=False),
                norm(dim, out_channels),
            )
        self.act2 = activation(act)
        if zero_init_last:
            nn.init.zeros_(self.bn2.weight)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.act1(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return self.act2(out + self.skip(x))


def receptive_field(
    kernel_sizes: list[int], dilations: list[int], strides: list[int] | None = None
) -> int:
    """Receptive field in input samples of a stack of convolutions (applied in order)."""
    strides = strides or [1] * len(kernel_sizes)
    field, jump = 1, 1
    for k, d, s in zip(kernel_sizes, dilations, strides, strict=True):
        field += (k - 1) * d * jump
        jump *= s
    return field
