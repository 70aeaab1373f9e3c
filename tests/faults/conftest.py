"""The fault tests run the real ``telecnn`` command in a subprocess (fixtures below)."""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest


def run_telecnn(*args: str, max_bytes: int | None = None) -> subprocess.CompletedProcess:
    """``telecnn ARGS`` in a subprocess, its files limited to ``max_bytes`` when given."""

    def limit() -> None:
        if max_bytes is not None:
            resource.setrlimit(resource.RLIMIT_FSIZE, (max_bytes, max_bytes))

    env = {**os.environ, "MPLBACKEND": "Agg", "OMP_NUM_THREADS": "1"}
    return subprocess.run(
        [sys.executable, "-m", "telecnn.cli", *args],
        capture_output=True,
        text=True,
        env=env,
        preexec_fn=limit,
        timeout=300,
    )


def check_one_line_exit(code: int, done: subprocess.CompletedProcess, *parts: str) -> str:
    """The command's one error line (after any progress bars), checked for ``parts``."""
    assert done.returncode == code, done.stderr[-2000:]
    assert "Traceback" not in done.stderr, done.stderr[-2000:]
    last = done.stderr.strip().splitlines()[-1]
    assert last.startswith("Error: ") and done.stderr.count("Error") == 1, done.stderr[-2000:]
    for part in parts:
        assert part in last, last
    return last


@pytest.fixture
def telecnn() -> Callable[..., subprocess.CompletedProcess]:
    return run_telecnn


@pytest.fixture
def one_line_exit() -> Callable[..., str]:
    return check_one_line_exit


@pytest.fixture(scope="session")
def lap_files(tmp_path_factory: pytest.TempPathFactory, f1_data) -> dict[str, Path]:
    """Real laps written out for the fault tests: LEC's and NOR's qualifying laps (Hungary
    2024) as CSV with ``Time`` in seconds, and eight laps of the China race as Parquet."""
    import pandas as pd

    folder = tmp_path_factory.mktemp("laps")
    out = {}
    for driver in ("LEC", "NOR"):
        obj = json.loads((f1_data / "hungary-2024-q" / f"{driver}.json").read_text())
        car = pd.DataFrame(obj["telemetry"])
        car["Time"] = pd.to_timedelta(car["Time"]).dt.total_seconds()
        out[driver] = folder / f"{driver}.csv"
        car[["Time", "RPM", "Speed", "nGear", "Throttle", "Brake", "DRS"]].to_csv(
            out[driver], index=False
        )
    race = pd.read_parquet(f1_data / "china-2025-r" / "race.parquet")
    out["race"] = folder / "race.parquet"
    race[race["LapNumber"].isin([10, 11]) & race["Driver"].isin(["VER", "NOR", "PIA", "RUS"])
         ].to_parquet(out["race"])  # fmt: skip
    return out
