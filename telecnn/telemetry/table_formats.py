"""The table formats telemetry and events are read from and written to, by suffix (light, so
the command line checks an ``--out`` before loading anything)."""

from __future__ import annotations

SUFFIXES: tuple[str, ...] = (".csv", ".parquet", ".pq", ".json")
