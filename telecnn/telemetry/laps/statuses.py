"""The words of a lap's status and of the lap filters alone, with no imports: what the command
line needs for its choices before any heavy library loads
(:mod:`telecnn.telemetry.laps.status` decides them)."""

from __future__ import annotations

#: What the ``--laps-filter`` option chooses: which laps count when picking and aggregating.
LAP_FILTERS: tuple[str, ...] = ("clean", "whole", "all")
#: The status words, in the order tables list them.
STATUSES: tuple[str, ...] = (
    "clean",
    "in-lap",
    "out-lap",
    "in/out",
    "partial",
    "sc",
    "vsc",
    "red flag",
    "deleted",
    "inaccurate",
    "untimed",
)
