"""Ground truth for simulated laps.

The rule-visible types (braking, drs, lift_coast, shifts) are labelled by the rules themselves on
the channels as sampled, so a label means the same on simulated and real laps; wheelspin and
lock-ups come from the injection, as runs of the samples they touched.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from telecnn.telemetry.events.rules import rule_parts
from telecnn.telemetry.events.table import moving_mask, run_columns, split_events
from telecnn.telemetry.laps.end_to_end import end_to_end


def truth_events(
    laps: Sequence[Mapping[str, np.ndarray]], injected: Sequence[dict[str, np.ndarray]]
) -> list[pd.DataFrame]:
    """All true events of each simulated lap (column arrays): the rules' events (as
    :func:`~telecnn.telemetry.events.rules.rule_events` has them) plus the injected ones as runs of
    the samples they touched. The rules run once over the laps laid end to end (no event
    crosses from one lap to the next); each lap's table is what it would be alone."""
    joined = end_to_end(laps, list(laps[0]))
    cols, segments = joined.columns, joined.segments
    t = np.asarray(cols["Time"], dtype=float)
    d = np.asarray(cols["Distance"], dtype=float)
    parts = rule_parts(cols, segments)
    moving = moving_mask(cols)
    for name in injected[0]:
        mask = np.concatenate([inj[name] for inj in injected])
        mask = mask & moving if moving is not None else mask
        if mask.any():
            parts.append(run_columns(mask, t, d, name, segments=segments))
    return split_events(parts, len(laps))
