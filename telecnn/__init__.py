"""telecnn: a CNN filter slides over a trace and finds events.

One dimension-generic conv core (:mod:`telecnn.core`) powers the FashionMNIST pipeline
(:mod:`vision`) and the Formula 1 telemetry event detector (:mod:`telecnn.telemetry`);
:mod:`telecnn.kernels` offers classic kernels and a NumPy convolution without torch.
"""

__version__ = "0.1.0"
