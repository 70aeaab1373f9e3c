"""Apply a 1D bank kernel to a telemetry trace, keeping the response aligned with the samples.

``apply_to_trace`` works on a NumPy array; ``csv_response`` reads one column of a CSV file
(pandas, imported only here) and ``plot_response`` draws trace and response one above the other.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from telecnn.errors import DataNotFoundError, TelecnnError
from telecnn.kernels.bank import get_kernel, kernel_info, list_kernels
from telecnn.kernels.conv import Padding, _paddings, conv1d

if TYPE_CHECKING:
    import pandas as pd


def apply_to_trace(
    trace: np.ndarray, name: str, padding: Padding = "valid", **params: Any
) -> np.ndarray:
    """Response of 1D kernel ``name`` to ``trace``, one value per sample (stride 1).

    Each response sits at the sample in the middle of its window; samples whose window does not
    fit (the ends, with the default ``padding="valid"``) get NaN, so the result always lines up
    with ``trace``. ``padding="same"`` fills the ends by padding the trace with zeros (as torch
    does), which reads as a step at each end.
    """
    info = kernel_info(name)
    if info.dim != 1:
        one_d = ", ".join(k.name for k in list_kernels(dim=1))
        raise TelecnnError(f"kernel {name!r} is 2D; a trace needs a 1D kernel: {one_d}")
    values = np.asarray(trace, dtype=np.float64)
    if values.ndim != 1:
        raise TelecnnError(f"a trace must be one-dimensional, got shape {values.shape}")
    taps = get_kernel(name, **params)
    response = conv1d(values, taps, padding=padding)
    padded_left = _paddings(padding, (len(taps),), (1,), (1,))[0][0]  # conv1d's own reading
    first = (len(taps) - 1) // 2 - padded_left  # the sample under output 0's window centre
    aligned = np.full(values.shape, np.nan)
    rows = np.arange(len(response)) + first
    keep = (rows >= 0) & (rows < len(values))
    aligned[rows[keep]] = response[keep]
    return aligned


def csv_response(
    path: str | os.PathLike[str],
    column: str,
    name: str,
    padding: Padding = "valid",
    params: Mapping[str, Any] | None = None,
) -> pd.DataFrame:
    """Read ``column`` of the CSV at ``path`` and return it beside its response to ``name``.

    The frame has two columns: the original one and ``<column>_<name>``.
    """
    import pandas as pd

    frame = _read_csv(Path(path))
    if column not in frame.columns:
        known = ", ".join(map(str, frame.columns))
        raise TelecnnError(f"no column {column!r} in {path}; its columns are: {known}")
    raw = frame[column]
    numbers = pd.to_numeric(raw, errors="coerce")
    bad = numbers.isna() & raw.notna()
    if bad.any():
        row = int(np.flatnonzero(bad.to_numpy())[0])
        raise TelecnnError(
            f"column {column!r} of {path} is not numeric ({raw.iloc[row]!r} in data row {row + 1})"
        )
    if numbers.isna().any():
        raise TelecnnError(
            f"column {column!r} of {path} has {int(numbers.isna().sum())} empty values; "
            "fill or drop them first"
        )
    if numbers.empty:
        raise TelecnnError(f"{path} has no data rows")
    response = apply_to_trace(numbers.to_numpy(dtype=np.float64), name, padding, **(params or {}))
    return pd.DataFrame({column: numbers.to_numpy(), f"{column}_{name}": response})


def plot_response(table: pd.DataFrame, path: str | os.PathLike[str]) -> Path:
    """Save a figure of the trace (first column) above its response (second column)."""
    from matplotlib.figure import Figure

    from telecnn.atomic import save_figure

    trace_name, response_name = table.columns[:2]
    fig = Figure(figsize=(10, 5), layout="constrained")
    top, bottom = fig.subplots(2, 1, sharex=True)
    top.plot(table.index, table[trace_name], color="tab:blue", lw=1)
    top.set_ylabel(str(trace_name))
    kernel = str(response_name)[len(str(trace_name)) + 1 :]
    top.set_title(f"{trace_name} and its response to the {kernel} kernel")
    bottom.plot(table.index, table[response_name], color="tab:red", lw=1)
    bottom.axhline(0.0, color="black", lw=0.5)
    bottom.set_ylabel("response")
    bottom.set_xlabel("sample")
    return save_figure(fig, path)


def _read_csv(path: Path) -> pd.DataFrame:
    import pandas as pd

    if not path.is_file():
        raise DataNotFoundError(f"no such file: {path}")
    try:
        return pd.read_csv(path)
    except (pd.errors.EmptyDataError, pd.errors.ParserError, UnicodeDecodeError) as exc:
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise TelecnnError(f"cannot read {path} as CSV: {reason}") from None
