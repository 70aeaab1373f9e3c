"""Wall-clock time of a whole command in a fresh process, as the user waits for it (the
benchmarks' shared measure)."""

from __future__ import annotations

import statistics
import subprocess
import time


def wall(cmd: list[str], runs: int = 3, check: bool = True) -> float:
    """Median wall-clock seconds of ``cmd`` over ``runs`` fresh processes."""
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run(cmd, check=check, capture_output=True)
        times.append(time.perf_counter() - started)
    return statistics.median(times)
