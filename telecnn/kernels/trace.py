"""Apply a 1D bank kernel to a telemetry trace, keeping the response aligned with the samples.

``apply_to_trace`` works on a NumPy array; ``response_frame`` puts a trace, its time and
distance and its response in one table, and ``plot_response`` draws trace and response one
above the other against distance (or time). Reading files is the telemetry sources' job.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from telecnn.errors import TelecnnError
from telecnn.kernels.bank import get_kernel, kernel_info, list_kernels
from telecnn.kernels.conv import Padding, _paddings, conv1d

if TYPE_CHECKING:
    import pandas as pd


def apply_to_trace(
    trace: np.ndarray,
    name: str,
    padding: Padding = "valid",
    padding_mode: str = "zeros",
    **params: Any,
) -> np.ndarray:
    """Response of 1D kernel ``name`` to ``trace``, one value per sample (stride 1).

    Each response sits at the sample in the middle of its window; samples whose window does not
    fit (the ends, with the default ``padding="valid"``) get NaN, so the result always lines up
    with ``trace``. ``padding="same"`` gives every sample a response by padding the trace as
    ``padding_mode`` says: ``replicate`` holds the end values (no false step at the ends),
    ``reflect`` mirrors them, ``zeros`` (torch's default) reads as a step to 0 at each end.
    """
    info = kernel_info(name)
    if info.dim != 1:
        one_d = ", ".join(k.name for k in list_kernels(dim=1))
        raise TelecnnError(f"kernel {name!r} is 2D; a trace needs a 1D kernel: {one_d}")
    values = np.asarray(trace, dtype=np.float64)
    if values.ndim != 1:
        raise TelecnnError(f"a trace must be one-dimensional, got shape {values.shape}")
    taps = get_kernel(name, **params)
    response = conv1d(values, taps, padding=padding, padding_mode=padding_mode)
    padded_left = _paddings(padding, (len(taps),), (1,), (1,))[0][0]  # conv1d's own reading
    first = (len(taps) - 1) // 2 - padded_left  # the sample under output 0's window centre
    aligned = np.full(values.shape, np.nan)
    rows = np.arange(len(response)) + first
    keep = (rows >= 0) & (rows < len(values))
    aligned[rows[keep]] = response[keep]
    return aligned


def response_frame(
    column: str,
    values: np.ndarray,
    name: str,
    padding: Padding = "same",
    padding_mode: str = "replicate",
    params: Mapping[str, Any] | None = None,
    time: np.ndarray | None = None,
    distance: np.ndarray | None = None,
    keys: Mapping[str, object] | None = None,
) -> pd.DataFrame:
    """One table: the ``keys`` (e.g. driver and lap), ``Time`` (s) and ``Distance`` (m) when
    given, the trace as ``column`` and its response as ``<column>_<name>``."""
    import pandas as pd

    if len(values) == 0:
        raise TelecnnError(f"the {column} trace has no samples")
    response = apply_to_trace(values, name, padding, padding_mode, **(params or {}))
    cols: dict[str, Any] = {k: [v] * len(values) for k, v in (keys or {}).items()}
    if time is not None:
        cols["Time"] = time
    if distance is not None:
        cols["Distance"] = distance
    cols[column] = values
    cols[f"{column}_{name}"] = response
    return pd.DataFrame(cols)


def plot_response(
    table: pd.DataFrame, column: str, name: str, path: str | os.PathLike[str], title: str = ""
) -> Path:
    """Save a figure of the trace above its response to kernel ``name``, against ``Distance``
    (m) when the table has it, else ``Time`` (s), else the sample number."""
    from matplotlib.figure import Figure

    from telecnn.atomic import save_figure

    response_name = f"{column}_{name}"
    x, label = np.arange(len(table)), "sample"
    for x_name, x_label in (("Time", "time (s)"), ("Distance", "distance (m)")):
        if x_name in table.columns and table[x_name].notna().any():
            x, label = table[x_name].to_numpy(), x_label  # distance wins over time
    fig = Figure(figsize=(10, 5), layout="constrained")
    top, bottom = fig.subplots(2, 1, sharex=True)
    top.plot(x, table[column], color="tab:blue", lw=1)
    top.set_ylabel(f"{column} ({UNITS[column]})" if column in UNITS else column)
    top.set_title(title or f"{column} and its response to the {name} kernel")
    bottom.plot(x, table[response_name], color="tab:red", lw=1)
    bottom.axhline(0.0, color="black", lw=0.5)
    bottom.set_ylabel(f"{name} response")
    bottom.set_xlabel(label)
    return save_figure(fig, path)


#: Units of the fastf1 channels, for axis labels.
UNITS = {"Speed": "km/h", "RPM": "1/min", "Throttle": "%", "Distance": "m", "Time": "s"}
