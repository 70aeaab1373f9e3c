"""Formula 1 telemetry: laps from fastf1, files or the simulator; rule and CNN event detectors.

>>> from telecnn.telemetry import as_lap, load_laps, rule_events
>>> lap = as_lap("lap.csv")                       # or a fastf1 Telemetry / Lap, or a DataFrame
>>> rule_events(lap)                              # braking, drs, lift_coast, shifts
>>> from telecnn.telemetry.detector import detect  # the CNN (imports torch)
>>> summarize(laps, "rules")                      # per driver and lap: braking, energy, DRS...
"""

from telecnn.lazy import lazy_attributes

#: Each public name and the module it lives in: imported when first used, so that importing a
#: submodule (the command line reads the taxonomy) does not load pandas and the rest.
_HOMES = {
    "read_corners": "sources.corners",
    "empty_events": "events.table",
    "driver_medians": "analysis.lap_summary",
    "summarize": "analysis.lap_summary",
    "rule_events": "events.rules",
    "speed_rule_events": "events.rules",
    "CHANNELS": "laps.schema",
    "EVENT_COLUMNS": "laps.schema",
    "EVENT_TYPES": "laps.schema",
    "POINT_EVENTS": "laps.schema",
    "Lap": "laps.schema",
    "LapMeta": "laps.schema",
    "as_lap": "sources",
    "as_laps": "sources",
    "load_laps": "sources",
}


__getattr__, __dir__ = lazy_attributes(__name__, globals(), _HOMES)


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
