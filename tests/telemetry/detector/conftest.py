"""The detector tests read the real qualifying laps as one list (file order: by driver)."""

from __future__ import annotations

import pytest

from telecnn.telemetry.laps.schema import Lap


@pytest.fixture(scope="session")
def quali_laps(hungary_laps: dict[str, Lap]) -> list[Lap]:
    """The ten fastest qualifying laps of Hungary 2024 (fastf1 car data, ~3.7 Hz)."""
    return list(hungary_laps.values())
