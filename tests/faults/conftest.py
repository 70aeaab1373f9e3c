"""The fault tests run the real ``telecnn`` command in a subprocess (fixtures below)."""

from __future__ import annotations

import os
import resource
import subprocess
import sys
from collections.abc import Callable

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
