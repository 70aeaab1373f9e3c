"""The shared conv core: one set of blocks for 1D traces and 2D images (``dim`` is an argument)."""

from telecnn.core.blocks import ConvNormAct, ResidualBlock, receptive_field
from telecnn.core.layers import activation, conv, global_avg_pool, norm, pool, same_padding
from telecnn.core.summary import LayerRow, count_parameters, format_summary, summarize

__all__ = [
    "ConvNormAct",
    "LayerRow",
    "ResidualBlock",
    "activation",
    "conv",
    "count_parameters",
    "format_summary",
    "global_avg_pool",
    "norm",
    "pool",
    "receptive_field",
    "same_padding",
    "summarize",
]
