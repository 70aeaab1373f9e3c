"""Formula 1 telemetry: laps from fastf1, files or the simulator; rule and CNN event detectors."""

from telecnn.telemetry.schema import (
    CHANNELS,
    EVENT_COLUMNS,
    EVENT_TYPES,
    POINT_EVENTS,
    Lap,
    LapMeta,
    empty_events,
)

__all__ = ["CHANNELS", "EVENT_COLUMNS", "EVENT_TYPES", "POINT_EVENTS", "Lap", "LapMeta", "empty_events"]
