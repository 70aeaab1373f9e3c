"""Convolution for signal analysis in NumPy, without torch.

``conv1d`` / ``conv2d`` compute what ``torch.nn.functional.conv1d`` / ``conv2d`` compute
(cross-correlation, padding of torch's four modes, stride, dilation, groups) on one sample; the
pooling functions match torch's; ``KERNELS`` and ``get_kernel`` give the classic kernels by
name::

    from telecnn.kernels import conv1d, get_kernel
    # peaks where Speed falls; "replicate" holds the end values, so no false step at the ends
    braking = conv1d(speed, get_kernel("edge"), padding="same", padding_mode="replicate")
"""

from telecnn.kernels.bank import KERNELS, KernelInfo, get_kernel, kernel_info, list_kernels
from telecnn.kernels.conv import conv1d, conv2d, output_size
from telecnn.kernels.pooling import (
    avg_pool1d,
    avg_pool2d,
    global_avg_pool,
    max_pool1d,
    max_pool2d,
)
from telecnn.kernels.trace import apply_to_trace, plot_response, response_frame

__all__ = [
    "KERNELS",
    "KernelInfo",
    "apply_to_trace",
    "avg_pool1d",
    "avg_pool2d",
    "conv1d",
    "conv2d",
    "get_kernel",
    "global_avg_pool",
    "kernel_info",
    "list_kernels",
    "max_pool1d",
    "max_pool2d",
    "output_size",
    "plot_response",
    "response_frame",
]
