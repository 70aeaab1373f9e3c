"""Ground truth for simulated laps, and per-sample masks from any events table.

The rule-visible types (braking, drs, lift_coast, shifts) are labelled by the rules themselves on
the channels as sampled, so a label means the same on simulated and real laps; wheelspin and
lock-ups come from the injection, as runs of the samples they touched.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from telecnn.telemetry.rules import _frame, _run_columns, rule_parts
from telecnn.telemetry.schema import EVENT_TYPES, POINT_EVENTS


def truth_events(data: Mapping[str, np.ndarray], injected: dict[str, np.ndarray]) -> pd.DataFrame:
    """All true events of a simulated lap (column arrays): the rules' events plus the injected
    ones as runs of the samples they touched."""
    t = np.asarray(data["Time"], dtype=float)
    d = np.asarray(data["Distance"], dtype=float)
    parts = rule_parts(data)
    parts += [
        _run_columns(mask, t, d, name, 1, None) for name, mask in injected.items() if mask.any()
    ]
    return _frame(*parts)


def event_masks(
    events: pd.DataFrame, times: np.ndarray, types: tuple[str, ...] = EVENT_TYPES
) -> np.ndarray:
    """A ``(len(types), len(times))`` boolean array: sample k is inside an event of type i.

    Interval events cover every time in [start, end]; a point event marks the sample nearest to
    its time. Works for a lap's own samples or for a uniform grid (pass the grid's times).
    """
    times = np.asarray(times, dtype=float)
    out = np.zeros((len(types), len(times)), dtype=bool)
    if len(events) == 0 or len(times) == 0:
        return out
    for i, name in enumerate(types):
        rows = events[events["event"] == name]
        if rows.empty:
            continue
        start = rows["start_time"].to_numpy(dtype=float)
        end = rows["end_time"].to_numpy(dtype=float)
        if name in POINT_EVENTS:
            pos = np.clip(np.searchsorted(times, start), 1, len(times) - 1)
            nearer_left = (start - times[pos - 1]) <= (times[pos] - start)
            out[i, np.where(nearer_left, pos - 1, pos)] = True
            continue
        lo = np.searchsorted(times, start - 1e-9, side="left")
        hi = np.searchsorted(times, end + 1e-9, side="right")
        diff = np.zeros(len(times) + 1, dtype=np.int64)
        np.add.at(diff, lo, 1)
        np.add.at(diff, hi, -1)
        out[i] = np.cumsum(diff[:-1]) > 0
    return out
