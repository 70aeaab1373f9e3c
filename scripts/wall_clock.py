"""Wall-clock time of a whole command in a fresh process, as the user waits for it (the
benchmarks' shared measure)."""

from __future__ import annotations

import os
import statistics
import subprocess
import time
from pathlib import Path


def once(cmd: list[str], check: bool = True, cwd: str | Path | None = None) -> float:
    """Seconds one fresh process of ``cmd`` takes, start to exit (figures drawn off screen);
    with ``check``, a failure stops the benchmark with the command and its error output."""
    env = {**os.environ, "MPLBACKEND": "Agg"}
    started = time.perf_counter()
    done = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True)
    seconds = time.perf_counter() - started
    if check and done.returncode != 0:
        raise SystemExit(f"{' '.join(map(str, cmd))} failed:\n{done.stderr[-2000:]}")
    return seconds


def wall(cmd: list[str], runs: int = 3, check: bool = True) -> float:
    """Median wall-clock seconds of ``cmd`` over ``runs`` fresh processes."""
    return statistics.median(once(cmd, check) for _ in range(runs))
