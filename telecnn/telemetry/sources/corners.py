"""Where a circuit's corners come from: a corners file (JSON or CSV) or fastf1's circuit info,
read into one corners table.

A corners table has one row per corner: ``corner`` (its label, ``T4`` or ``T10A``), ``number``,
``letter``, and where it is: ``X``/``Y`` (the position data's units) and/or ``Distance`` (metres
along fastf1's reference lap). Placing them on laps and labelling events is analysis
(:mod:`telecnn.telemetry.analysis.corners`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from telecnn.errors import TelecnnError, one_line
from telecnn.telemetry.sources.json_files import read_json

#: The columns of a corners table, in order.
CORNER_COLUMNS: tuple[str, ...] = ("corner", "number", "letter", "X", "Y", "Distance")

_NUMBER_NAMES = ("CornerNumber", "Number", "number", "corner_number", "Corner")


def corner_table(frame: pd.DataFrame, where: str = "corners") -> pd.DataFrame:
    """A corners table (:data:`CORNER_COLUMNS`) from fastf1's or an export's columns
    (``Number`` or ``CornerNumber``, ``X``, ``Y``, optional ``Letter`` and ``Distance``)."""
    number = next((c for c in _NUMBER_NAMES if c in frame.columns), None)
    if number is None:
        raise TelecnnError(f"{where}: no corner numbers (a CornerNumber or Number column)")
    numbers = pd.to_numeric(frame[number], errors="coerce")
    if not np.isfinite(numbers.to_numpy(dtype=float)).all() or len(frame) == 0:
        raise TelecnnError(f"{where}: corner numbers must all be numbers, and there must be some")
    letters = frame.get("Letter", pd.Series("", index=frame.index)).fillna("").astype(str)
    out = pd.DataFrame(
        {
            "corner": [f"T{int(n)}{ltr.strip()}" for n, ltr in zip(numbers, letters, strict=True)],
            "number": numbers.astype(int).to_numpy(),
            "letter": letters.str.strip().to_numpy(),
        }
    )
    for name in ("X", "Y", "Distance"):
        values = frame[name] if name in frame.columns else pd.Series(np.nan, index=frame.index)
        out[name] = pd.to_numeric(values, errors="coerce").to_numpy(dtype=float)
    infinite = np.isinf(out[["X", "Y", "Distance"]].to_numpy()).any(axis=1)
    if infinite.any():
        raise TelecnnError(
            f"{where}: corner {out['corner'].iloc[int(np.argmax(infinite))]} has a position "
            "that is not a finite number (such as 1e999)"
        )
    has_xy = np.isfinite(out[["X", "Y"]].to_numpy()).all()
    if not has_xy and not np.isfinite(out["Distance"].to_numpy()).all():
        raise TelecnnError(
            f"{where}: no corner positions (every corner needs X and Y, or a Distance)"
        )
    return out.reset_index(drop=True)


def read_corners(path: str | Path) -> pd.DataFrame:
    """A corners file: JSON (columns as lists, a list of records, or ``{"corners": ...}``) or
    CSV, with ``CornerNumber``/``Number``, ``X``, ``Y`` and optional ``Letter``/``Distance``."""
    path = Path(path)
    if not path.is_file():
        raise TelecnnError(f"corners file {path} not found")
    try:
        if path.suffix.lower() == ".csv":
            frame = pd.read_csv(path)
        else:
            obj = read_json(path, "corners file")
            if isinstance(obj, dict) and "corners" in obj:
                obj = obj["corners"]
            frame = pd.DataFrame(obj)
    except TelecnnError:
        raise
    except (ValueError, OSError, UnicodeDecodeError) as exc:
        raise TelecnnError(f"cannot read corners file {path.name}: {one_line(exc)}") from None
    return corner_table(frame, path.name)


def fastf1_corners(session: Any) -> tuple[pd.DataFrame | None, str | None]:
    """The corners of a fastf1 session's circuit (``get_circuit_info().corners``), or None and
    a note saying why there are none (fastf1 could not reach the circuit data)."""
    getter = getattr(session, "get_circuit_info", None)
    if getter is None:
        return None, None
    try:
        info = getter()
        corners = getattr(info, "corners", None)
        if corners is None or len(corners) == 0:
            return None, "no corner numbers: fastf1 has no circuit info for this session"
        return corner_table(pd.DataFrame(corners), "fastf1 circuit info"), None
    except Exception as exc:  # fastf1 raises many types when its servers are out of reach
        return None, f"no corner numbers: fastf1's circuit info is unavailable ({one_line(exc)})"
