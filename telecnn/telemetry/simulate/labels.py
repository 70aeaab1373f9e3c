"""Ground truth for simulated laps.

The rule-visible types (braking, drs, lift_coast, shifts) are labelled by the rules themselves on
the channels as sampled, so a label means the same on simulated and real laps; wheelspin and
lock-ups come from the injection, as runs of the samples they touched.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from telecnn.telemetry.rules import events_frame, rule_parts, run_columns


def truth_events(data: Mapping[str, np.ndarray], injected: dict[str, np.ndarray]) -> pd.DataFrame:
    """All true events of a simulated lap (column arrays): the rules' events plus the injected
    ones as runs of the samples they touched."""
    t = np.asarray(data["Time"], dtype=float)
    d = np.asarray(data["Distance"], dtype=float)
    parts = rule_parts(data)
    parts += [run_columns(mask, t, d, name) for name, mask in injected.items() if mask.any()]
    return events_frame(*parts)
