"""Simulator throughput: laps per second on each built-in circuit -> bench/simulator.json."""

from __future__ import annotations

import platform
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from telecnn.atomic import write_json  # noqa: E402
from telecnn.telemetry.simulate import CIRCUITS, simulate_laps  # noqa: E402

LAPS = 1000


def main() -> None:
    results = {}
    for name in CIRCUITS:
        simulate_laps(name, 2, seed=99)  # warm the per-circuit caches
        start = time.perf_counter()
        laps = simulate_laps(name, LAPS, seed=1)
        seconds = time.perf_counter() - start
        results[name] = {
            "laps": LAPS,
            "seconds": round(seconds, 3),
            "laps_per_s": round(LAPS / seconds, 1),
            "samples_per_lap": round(sum(len(lap) for lap in laps) / LAPS, 1),
        }
        print(f"{name}: {LAPS / seconds:.0f} laps/s ({seconds:.2f} s for {LAPS} laps)")
    overall = sum(r["laps"] for r in results.values()) / sum(r["seconds"] for r in results.values())
    out = {
        "target_laps_per_s": 1000,
        "laps_per_s": round(overall, 1),
        "circuits": results,
        "machine": {"python": platform.python_version(), "cpu": platform.processor() or platform.machine()},
        "note": "includes physics, feed sampling, DataFrames and ground-truth events",
    }
    path = write_json(Path(__file__).resolve().parents[1] / "bench" / "simulator.json", out)
    print(f"overall {overall:.0f} laps/s -> {path}")


if __name__ == "__main__":
    main()
