"""Max, average and global-average pooling in NumPy, matching torch (``ceil_mode=False``).

Pooling runs over the last one (``*_pool1d``) or two (``*_pool2d``) axes; any axes in front
(channels, a batch) are kept. Max pooling is the peak speed of each sector, average pooling its
mean speed, global average pooling one number per channel for the whole lap.
"""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from telecnn.errors import TelecnnError
from telecnn.kernels.conv import IntOrPair, _as_float, _axis_output, _ints


def max_pool1d(
    x: np.ndarray,
    kernel_size: int,
    stride: int | None = None,
    padding: int = 0,
    dilation: int = 1,
) -> np.ndarray:
    """Largest value of each window along the last axis (stride defaults to the window)."""
    return _max_pool(x, kernel_size, stride, padding, dilation, dim=1)


def max_pool2d(
    x: np.ndarray,
    kernel_size: IntOrPair,
    stride: IntOrPair | None = None,
    padding: IntOrPair = 0,
    dilation: IntOrPair = 1,
) -> np.ndarray:
    """Largest value of each window over the last two axes (stride defaults to the window)."""
    return _max_pool(x, kernel_size, stride, padding, dilation, dim=2)


def avg_pool1d(
    x: np.ndarray,
    kernel_size: int,
    stride: int | None = None,
    padding: int = 0,
    count_include_pad: bool = True,
) -> np.ndarray:
    """Mean of each window along the last axis; padded zeros count unless told otherwise."""
    return _avg_pool(x, kernel_size, stride, padding, count_include_pad, dim=1)


def avg_pool2d(
    x: np.ndarray,
    kernel_size: IntOrPair,
    stride: IntOrPair | None = None,
    padding: IntOrPair = 0,
    count_include_pad: bool = True,
) -> np.ndarray:
    """Mean of each window over the last two axes; padded zeros count unless told otherwise."""
    return _avg_pool(x, kernel_size, stride, padding, count_include_pad, dim=2)


def global_avg_pool(x: np.ndarray, dim: int, keepdims: bool = False) -> np.ndarray:
    """Mean over the last ``dim`` axes: ``(C, L) -> (C,)`` for a trace (``dim=1``), ``(C, H, W)
    -> (C,)`` for an image (``dim=2``). ``keepdims=True`` gives torch's ``(C, 1[, 1])``."""
    arr = _as_float(x, "input")
    if dim not in (1, 2, 3):
        raise TelecnnError(f"dim must be 1, 2 or 3, got {dim!r}")
    if arr.ndim < dim:
        raise TelecnnError(f"global_avg_pool over {dim} axes needs an input with at least {dim}")
    if 0 in arr.shape[arr.ndim - dim :]:
        raise TelecnnError(f"cannot average an empty input of shape {arr.shape}")
    return arr.mean(axis=tuple(range(arr.ndim - dim, arr.ndim)), keepdims=keepdims)


def _max_pool(
    x: np.ndarray,
    kernel_size: IntOrPair,
    stride: IntOrPair | None,
    padding: IntOrPair,
    dilation: IntOrPair,
    dim: int,
) -> np.ndarray:
    arr = np.asarray(x)
    if arr.dtype.kind not in "iuf":
        arr = _as_float(arr, "input")
    fill = -np.inf if arr.dtype.kind == "f" else np.iinfo(arr.dtype).min
    windows = _windows(arr, kernel_size, stride, padding, dilation, dim, fill, "max_pool")
    return windows.max(axis=tuple(range(-dim, 0)))


def _avg_pool(
    x: np.ndarray,
    kernel_size: IntOrPair,
    stride: IntOrPair | None,
    padding: IntOrPair,
    count_include_pad: bool,
    dim: int,
) -> np.ndarray:
    arr = _as_float(x, "input")
    window_axes = tuple(range(-dim, 0))
    sums = _windows(arr, kernel_size, stride, padding, 1, dim, 0, "avg_pool").sum(window_axes)
    if count_include_pad:
        return sums / np.prod(_ints(kernel_size, dim, "kernel_size", minimum=1))
    ones = np.ones(arr.shape[arr.ndim - dim :])
    counts = _windows(ones, kernel_size, stride, padding, 1, dim, 0, "avg_pool").sum(window_axes)
    return sums / counts


def _windows(
    arr: np.ndarray,
    kernel_size: IntOrPair,
    stride: IntOrPair | None,
    padding: IntOrPair,
    dilation: IntOrPair,
    dim: int,
    fill: float,
    name: str,
) -> np.ndarray:
    """A view ``(*lead, *out_sizes, *kernel)`` of every pooling window of ``arr``."""
    if arr.ndim < dim:
        raise TelecnnError(f"{name}{dim}d needs an input with at least {dim} axes, got {arr.shape}")
    kernel = _ints(kernel_size, dim, "kernel_size", minimum=1)
    strides = kernel if stride is None else _ints(stride, dim, "stride", minimum=1)
    pads = _ints(padding, dim, "padding", minimum=0)
    dilations = _ints(dilation, dim, "dilation", minimum=1)
    if any(p > k // 2 for p, k in zip(pads, kernel, strict=True)):
        raise TelecnnError(
            f"{name}{dim}d: padding {padding!r} must be at most half "
            f"the kernel size {kernel_size!r}"
        )
    lead = arr.ndim - dim
    sizes = arr.shape[lead:]
    out_sizes = [
        _axis_output(n + 2 * p, k, s, d, axis_name="padded input")
        for n, p, k, s, d in zip(sizes, pads, kernel, strides, dilations, strict=True)
    ]
    if any(pads):
        arr = np.pad(arr, [(0, 0)] * lead + [(p, p) for p in pads], constant_values=fill)
    spans = [d * (k - 1) + 1 for k, d in zip(kernel, dilations, strict=True)]
    views = sliding_window_view(arr, spans, axis=tuple(range(lead, arr.ndim)))
    positions = tuple(slice(0, (n - 1) * s + 1, s) for n, s in zip(out_sizes, strides, strict=True))
    taps = tuple(slice(None, None, d) for d in dilations)
    return views[(Ellipsis, *positions, *taps)]
