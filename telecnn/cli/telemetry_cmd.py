"""CLI commands for telemetry (placeholder until filled)."""

from __future__ import annotations

import click


def register(group: click.Group) -> None:
    """Add this module's commands to the root group."""
