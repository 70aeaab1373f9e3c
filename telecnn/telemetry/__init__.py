"""Formula 1 telemetry: laps from fastf1, files or the simulator; rule and CNN event detectors.

>>> from telecnn.telemetry import as_lap, load_laps, rule_events
>>> lap = as_lap("lap.csv")                       # or a fastf1 Telemetry / Lap, or a DataFrame
>>> rule_events(lap)                              # braking, drs, lift_coast, shifts
>>> from telecnn.telemetry.detector import detect  # the CNN (imports torch)
>>> summarize(laps, "rules")                      # per driver and lap: braking, energy, DRS...
"""

from telecnn.telemetry.corners import read_corners
from telecnn.telemetry.events import empty_events
from telecnn.telemetry.lap_summary import driver_medians, summarize
from telecnn.telemetry.rules import rule_events, speed_rule_events
from telecnn.telemetry.schema import (
    CHANNELS,
    EVENT_COLUMNS,
    EVENT_TYPES,
    POINT_EVENTS,
    Lap,
    LapMeta,
)
from telecnn.telemetry.sources import as_lap, as_laps, load_laps

__all__ = [
    "CHANNELS",
    "EVENT_COLUMNS",
    "EVENT_TYPES",
    "POINT_EVENTS",
    "Lap",
    "LapMeta",
    "as_lap",
    "as_laps",
    "driver_medians",
    "empty_events",
    "load_laps",
    "read_corners",
    "rule_events",
    "speed_rule_events",
    "summarize",
]
