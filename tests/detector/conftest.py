"""Real laps for the detector tests (loaded once per session through the file source)."""

from __future__ import annotations

from pathlib import Path

import pytest

from telecnn.telemetry.schema import Lap
from telecnn.telemetry.sources import read_laps


@pytest.fixture(scope="session")
def hungary_laps(f1_data: Path) -> list[Lap]:
    """The ten fastest qualifying laps of Hungary 2024 (fastf1 car data, ~3.7 Hz)."""
    laps: list[Lap] = []
    for path in sorted((f1_data / "hungary-2024-q").glob("*.json")):
        laps += read_laps(path)
    return laps


@pytest.fixture(scope="session")
def china_laps(f1_data: Path) -> list[Lap]:
    """A fixed subset of the China 2025 race (merged telemetry, ~7.6 Hz): every 5th lap of
    each of the four drivers, standing start and pit laps included when they fall on it."""
    return read_laps(f1_data / "china-2025-r" / "race.parquet", laps=list(range(1, 57, 5)))
