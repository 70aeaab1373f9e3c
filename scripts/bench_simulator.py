"""Simulator throughput -> bench/simulator.json: laps per second on each built-in circuit in
one process, and what the user waits for: ``telecnn telemetry simulate --laps 1000 --out
laps.parquet`` wall to wall in a fresh process, beside a fresh Python that reads the file it
wrote with pandas (the floor of this machine)."""

from __future__ import annotations

import os
import platform
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from wall_clock import wall  # noqa: E402

from telecnn.atomic import write_json  # noqa: E402
from telecnn.telemetry.simulate import CIRCUITS, simulate_laps  # noqa: E402

LAPS = 1000


def main() -> None:
    results = {}
    for name in CIRCUITS:
        simulate_laps(name, 2, seed=99)  # warm the per-circuit caches
        start, cpu = time.perf_counter(), time.process_time()
        laps = simulate_laps(name, LAPS, seed=1)  # the default batch users get
        seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
        results[name] = {
            "laps": LAPS,
            "seconds": round(seconds, 3),
            "cpu_seconds": round(cpu, 3),
            "laps_per_s": round(LAPS / seconds, 1),
            "laps_per_cpu_s": round(LAPS / cpu, 1),
            "samples_per_lap": round(sum(len(lap) for lap in laps) / LAPS, 1),
        }
        print(f"{name}: {LAPS / seconds:.0f} laps/s wall, {LAPS / cpu:.0f} laps per CPU second")
    total = sum(r["laps"] for r in results.values())
    overall = total / sum(r["seconds"] for r in results.values())
    per_cpu = total / sum(r["cpu_seconds"] for r in results.values())
    out = {
        "target_laps_per_s": 1000,
        "laps_per_s": round(overall, 1),
        "laps_per_cpu_s": round(per_cpu, 1),
        "load_average_1min": round(os.getloadavg()[0], 2),
        "circuits": results,
        "machine": {
            "python": platform.python_version(),
            "cpu": platform.processor() or platform.machine(),
        },
        "note": "full Lap objects: physics, feed sampling, DataFrames and ground-truth events; "
        "one process, the default batch size; laps_per_cpu_s is the rate on an unshared core",
    }
    out["whole_command"] = whole_command()
    print("whole command:", out["whole_command"])
    path = write_json(Path(__file__).resolve().parents[1] / "bench" / "simulator.json", out)
    print(f"overall {overall:.0f} laps/s wall, {per_cpu:.0f} laps per CPU second -> {path}")


def whole_command() -> dict[str, float]:
    """``telemetry simulate`` of 1,000 laps with its truth file, wall to wall, beside pandas
    reading the laps file it wrote."""
    with tempfile.TemporaryDirectory() as tmp:
        laps, truth = str(Path(tmp) / "laps.parquet"), str(Path(tmp) / "truth.parquet")
        command = [sys.executable, "-m", "telecnn.cli", "telemetry", "simulate", "--circuit",
                   "monza", "--laps", str(LAPS), "--out", laps, "--truth", truth]  # fmt: skip
        seconds = wall(command)
        floor = wall([sys.executable, "-c", f"import pandas as pd; pd.read_parquet({laps!r})"])
    return {
        "laps": LAPS,
        "simulate_command_seconds": round(seconds, 3),
        "laps_per_second": round(LAPS / seconds, 1),
        "floor_python_pandas_read_seconds": round(floor, 3),
        "ratio_to_floor": round(seconds / floor, 2),
    }


if __name__ == "__main__":
    main()
