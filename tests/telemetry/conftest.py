"""Fixtures for the telemetry tests: the real laps of ../shared/data/f1, loaded once."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from telecnn.telemetry.laps.schema import Lap
from telecnn.telemetry.sources import read_laps


@pytest.fixture(scope="session")
def hungary_dir(f1_data: Path) -> Path:
    return f1_data / "hungary-2024-q"


@pytest.fixture(scope="session")
def race_file(f1_data: Path) -> Path:
    return f1_data / "china-2025-r" / "race.parquet"


@pytest.fixture(scope="session")
def hungary_laps(hungary_dir: Path) -> dict[str, Lap]:
    """The ten real qualifying laps through the file source, by driver."""
    return {p.stem: read_laps(p)[0] for p in sorted(hungary_dir.glob("*.json"))}


@pytest.fixture(scope="session")
def race_laps(race_file: Path) -> list[Lap]:
    """Every lap of the real race file (224 laps, merged telemetry)."""
    return read_laps(race_file)


def car_frame(hungary_dir: Path, driver: str) -> pd.DataFrame:
    """The raw car data of one export, as fastf1 wrote it (time columns as strings)."""
    obj = json.loads((hungary_dir / f"{driver}.json").read_text())
    return pd.DataFrame(obj["telemetry"])


@pytest.fixture(scope="session")
def china_laps(f1_data: Path) -> list[Lap]:
    """A fixed subset of the China 2025 race (merged telemetry, ~7.6 Hz): every 5th lap of
    each of the four drivers, standing start and pit laps included when they fall on it."""
    return read_laps(f1_data / "china-2025-r" / "race.parquet", laps=list(range(1, 57, 5)))


@pytest.fixture(scope="session")
def bahrain_laps(f1_data: Path) -> list[Lap]:
    """Every lap of the 2026 test day (five drivers, 335 laps, merged telemetry, DRS 0)."""
    return read_laps(f1_data / "bahrain-2026-test" / "day1.parquet")
