"""The classic kernels at a learned filter's size, to hold a filter against.

For 1D filters (the event CNN's stem is 5 taps wide) each kernel of :mod:`telecnn.kernels` is
built at the filter's length: ``edge`` as a step (+ before, - after: a fall peaks positive),
``spike`` as one sample against its neighbours, ``smooth`` as a box and ``gaussian`` as a bell
over the length. 2D filters (3x3 in both image models) meet every 3x3 kernel of the bank.
"""

from __future__ import annotations

import numpy as np

from telecnn.kernels import get_kernel, list_kernels


def templates(shape: tuple[int, ...]) -> dict[str, np.ndarray]:
    """Every classic kernel at ``shape``: ``(L,)`` for a trace filter, ``(kH, kW)`` for an image."""
    if len(shape) == 1:
        return _trace_templates(shape[0])
    if len(shape) == 2:
        out = {}
        for info in list_kernels(dim=2):
            kernel = get_kernel(info.name)
            if kernel.shape == tuple(shape):
                out[info.name] = kernel
        if tuple(shape) == (3, 3):  # the bank's gaussian_2d is 7x7 at sigma 1
            out["gaussian_2d"] = np.outer(_bell(3), _bell(3))
        return out
    raise ValueError(f"filters must be 1D or 2D, got shape {shape}")


def _trace_templates(length: int) -> dict[str, np.ndarray]:
    offsets = np.arange(length) - (length - 1) / 2
    spike = np.full(length, -1.0)
    spike[length // 2] = length - 1.0
    out = {
        "edge": -np.sign(offsets),  # +1 before the centre, -1 after: peaks where a trace falls
        "smooth": get_kernel("smooth", width=length),
        "gaussian": _bell(length),
        "spike": spike,
    }
    if length == 3:
        out["edge"], out["spike"] = get_kernel("edge"), get_kernel("spike")
    return out


def _bell(length: int) -> np.ndarray:
    """A Gaussian spanning ``length`` samples (about 3 sigma at each end), summing to 1."""
    offsets = np.arange(length) - (length - 1) / 2
    sigma = max((length - 1) / 4, 0.5)
    taps = np.exp(-0.5 * (offsets / sigma) ** 2)
    return taps / taps.sum()
