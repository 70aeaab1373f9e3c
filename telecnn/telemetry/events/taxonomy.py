"""The event taxonomy alone, with no imports: what the command line needs to list its choices
before any heavy library loads (:mod:`telecnn.telemetry.laps.schema` re-exports it)."""

from __future__ import annotations

#: The event taxonomy, in the detector's output order.
EVENT_TYPES: tuple[str, ...] = (
    "braking",
    "lift_coast",
    "clipping",
    "drs",
    "upshift",
    "downshift",
    "wheelspin",
    "lockup",
)
#: Events that happen at one sample (start == end) rather than over a run of samples.
POINT_EVENTS: frozenset[str] = frozenset({"upshift", "downshift"})
#: Events that no channel shows directly: only the simulator labels them.
SIM_ONLY_EVENTS: frozenset[str] = frozenset({"wheelspin", "lockup"})
