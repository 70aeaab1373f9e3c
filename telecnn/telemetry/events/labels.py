"""What a lap is labelled with: the one reference every detector is trained, tuned and scored
against, and its per-sample masks.

A lap's reference events are the rules on its own channels (exactly how real laps are
labelled) plus, on a simulated lap, the simulator's truth for the types only it can label
(wheelspin, lock-up: no channel shows them directly). The simulator builds its truth the same
way (:mod:`telecnn.telemetry.simulate.labels`), so a label means the same on every lap.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from telecnn.telemetry.events.rules import rule_events
from telecnn.telemetry.events.table import event_masks, events_frame, run_columns
from telecnn.telemetry.laps.grid import previous_index
from telecnn.telemetry.laps.schema import EVENT_TYPES, SIM_ONLY_EVENTS, Lap

#: Rows of :data:`EVENT_TYPES` that only the simulator labels.
SIM_ONLY_ROWS = [EVENT_TYPES.index(e) for e in sorted(SIM_ONLY_EVENTS)]


def simulator_truth(lap: Lap) -> pd.DataFrame | None:
    """The simulator's truth for the types only it labels (None on a real lap)."""
    if lap.truth is None or not len(lap.truth):
        return None
    return lap.truth[lap.truth["event"].isin(SIM_ONLY_EVENTS)]


def reference_events(lap: Lap) -> pd.DataFrame:
    """The events a lap is labelled with: rules on its channels, plus the simulator-only truth."""
    labels = rule_events(lap)
    extra = simulator_truth(lap)
    if extra is not None and len(extra):
        labels = pd.concat([labels, extra], ignore_index=True)
    return labels


def sample_labels(times: np.ndarray, events: pd.DataFrame) -> np.ndarray:
    """Per-sample 0/1 labels ``(E, n)`` of each event type (float32 :func:`event_masks`)."""
    return event_masks(events, times).astype(np.float32)


def resampled_truth(truth: pd.DataFrame, times: np.ndarray, new_times: np.ndarray) -> pd.DataFrame:
    """Simulator-only truth carried onto new sample times by the previous-sample rule (the way
    a discrete channel is resampled): what a lap logged at ``new_times`` would be labelled."""
    labels = sample_labels(times, truth)[:, previous_index(times, new_times)]
    return events_frame(
        *[run_columns(labels[k] > 0, new_times, None, EVENT_TYPES[k]) for k in SIM_ONLY_ROWS]
    )
