"""Layer factories keyed by the number of spatial dimensions (1 trace, 2 image, 3 volume).

Each helper does one thing: pick the right ``torch.nn`` class for ``dim`` and build it. The
blocks in :mod:`telecnn.core.blocks` and every model in the project are assembled from these,
so nothing is written twice for 1D and 2D.
"""

from __future__ import annotations

from collections.abc import Sequence

from torch import nn

_CONV = {1: nn.Conv1d, 2: nn.Conv2d, 3: nn.Conv3d}
_BATCH_NORM = {1: nn.BatchNorm1d, 2: nn.BatchNorm2d, 3: nn.BatchNorm3d}
_MAX_POOL = {1: nn.MaxPool1d, 2: nn.MaxPool2d, 3: nn.MaxPool3d}
_AVG_POOL = {1: nn.AvgPool1d, 2: nn.AvgPool2d, 3: nn.AvgPool3d}
_GLOBAL_AVG_POOL = {1: nn.AdaptiveAvgPool1d, 2: nn.AdaptiveAvgPool2d, 3: nn.AdaptiveAvgPool3d}
_ACTIVATIONS = {
    "relu": lambda: nn.ReLU(inplace=True),
    "gelu": nn.GELU,
    "silu": lambda: nn.SiLU(inplace=True),
    "leaky_relu": lambda: nn.LeakyReLU(0.1, inplace=True),
    "tanh": nn.Tanh,
    "identity": nn.Identity,
}

IntOrTuple = int | Sequence[int]
Padding = IntOrTuple | str


def _check_dim(dim: int) -> int:
    if dim not in _CONV:
        raise ValueError(f"dim must be 1, 2 or 3, got {dim!r}")
    return dim


def same_padding(kernel_size: int, dilation: int = 1) -> int:
    """Symmetric padding that keeps the length for stride 1 and an odd effective kernel."""
    effective = dilation * (kernel_size - 1) + 1
    if effective % 2 == 0:
        raise ValueError(
            f"'same' padding needs an odd effective kernel, got kernel {kernel_size}, "
            f"dilation {dilation}"
        )
    return (effective - 1) // 2


def conv(
    dim: int,
    in_channels: int,
    out_channels: int,
    kernel_size: int = 3,
    stride: int = 1,
    padding: Padding = "same",
    dilation: int = 1,
    groups: int = 1,
    bias: bool = True,
) -> nn.Module:
    """A ``dim``-D convolution; ``padding="same"`` is resolved here so it also works with stride."""
    if padding == "same":
        padding = same_padding(kernel_size, dilation)
    return _CONV[_check_dim(dim)](
        in_channels,
        out_channels,
        kernel_size,
        stride=stride,
        padding=padding,
        dilation=dilation,
        groups=groups,
        bias=bias,
    )


def norm(dim: int, channels: int, kind: str = "batch") -> nn.Module:
    """Batch norm for ``dim`` spatial dimensions (``kind="none"`` gives an identity)."""
    if kind == "batch":
        return _BATCH_NORM[_check_dim(dim)](channels)
    if kind == "none":
        return nn.Identity()
    raise ValueError(f"unknown norm {kind!r}: use 'batch' or 'none'")


def activation(name: str = "relu") -> nn.Module:
    """An activation module by name (relu, gelu, silu, leaky_relu, tanh, identity)."""
    try:
        return _ACTIVATIONS[name]()
    except KeyError:
        raise ValueError(
            f"unknown activation {name!r}: use one of {sorted(_ACTIVATIONS)}"
        ) from None


def pool(dim: int, kind: str = "max", kernel_size: int = 2, stride: int | None = None) -> nn.Module:
    """Max or average pooling over ``dim`` spatial dimensions (stride defaults to the kernel)."""
    table = {"max": _MAX_POOL, "avg": _AVG_POOL}
    if kind not in table:
        raise ValueError(f"unknown pooling {kind!r}: use 'max' or 'avg'")
    return table[kind][_check_dim(dim)](kernel_size, stride=stride)


def global_avg_pool(dim: int) -> nn.Module:
    """Average every spatial position down to one: ``(N, C, *S) -> (N, C, 1, ...)``."""
    return _GLOBAL_AVG_POOL[_check_dim(dim)](1)
