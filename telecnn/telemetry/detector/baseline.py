"""The rule baseline on a chosen set of channels (the CNN's comparison point).

With ``Brake`` the exact rules label braking; without it, and with ``Speed`` among the
channels, braking comes from the speed-only rule (deceleration; the speed is derived from the
position when the lap has none), so ``channels=["Speed"]`` is the speed-only baseline.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from telecnn.telemetry.detector.features import known_channels
from telecnn.telemetry.events.rules import rule_events_laps, speed_rule_events
from telecnn.telemetry.events.table import MEASURED, MOVING, measured_samples, moving_mask
from telecnn.telemetry.laps.schema import CHANNELS, Lap

_KEEP = ("Time", "Distance", "X", "Y", "Z")


def _read(lap: Lap, read: list[str]) -> dict:
    """The columns a rule reads of a lap, with the lap's moving flag where it has a speed the
    channels read leave out (the standstill rule holds whatever the channels) and its
    measured samples (where entry speeds are read, whatever the channels)."""
    cols = {c: lap.columns[c] for c in read}
    moving = moving_mask(lap.columns)
    if "Speed" not in cols and moving is not None:
        cols[MOVING] = moving
    measured = measured_samples(lap.columns)
    if measured is not None:
        cols[MEASURED] = measured
    return cols


def rule_detect(lap: Lap, channels: Sequence[str] | None = None) -> pd.DataFrame:
    """Rule events of ``lap`` reading only ``channels`` (default: all it has)."""
    return rule_detect_laps([lap], channels)[0]


def rule_detect_laps(
    laps: Sequence[Lap], channels: Sequence[str] | None = None
) -> list[pd.DataFrame]:
    """:func:`rule_detect` of every lap (the rules run once over laps with the same columns)."""
    use = known_channels(channels) if channels is not None else CHANNELS
    reads = [[c for c in lap.columns if c in use or c in _KEEP] for lap in laps]
    columns = [_read(lap, read) for lap, read in zip(laps, reads, strict=True)]
    found = rule_events_laps(columns)
    if "Speed" not in use:
        return found
    for k, read in enumerate(reads):
        if "Brake" not in read and ("Speed" in read or "Distance" in read):
            braking = speed_rule_events(columns[k])
            events = pd.concat(
                [e for e in (found[k], braking) if len(e)] or [found[k]], ignore_index=True
            )
            found[k] = events.sort_values("start_time", kind="stable").reset_index(drop=True)
    return found
