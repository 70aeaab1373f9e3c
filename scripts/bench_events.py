"""Measure the default event detector -> ``bench/events.json``.

- Real laps of ../shared/data (labels: the rules on all channels): per-type precision, recall
  and F1 of the CNN with all channels and with Speed alone, beside the speed-only rule baseline.
- The simulator's held-out laps (a seed the default model never saw), CNN vs its truth.
- Throughput: 1,200 laps (the real race laps, repeated) in one call: model seconds and laps/s,
  beside the rule detector's.
"""

from __future__ import annotations

import os
import platform
import time
from pathlib import Path

import torch

from telecnn.atomic import write_json
from telecnn.telemetry.detector import default_model_path, load_detector
from telecnn.telemetry.detector.baseline import rule_detect
from telecnn.telemetry.detector.evaluate import format_scores, scores_table
from telecnn.telemetry.detector.scoring import evaluate_laps
from telecnn.telemetry.simulate import CIRCUITS, simulate_laps
from telecnn.telemetry.sources import read_laps

REPO = Path(__file__).resolve().parents[1]
DATA = Path(os.environ.get("TELECNN_SHARED", REPO.parent / "shared")) / "data" / "f1"
HELD_OUT_SEED = 424242
THROUGHPUT_LAPS = 1200


def real_sets() -> dict[str, list]:
    hungary = []
    for path in sorted((DATA / "hungary-2024-q").glob("*.json")):
        hungary += read_laps(path)
    china = read_laps(DATA / "china-2025-r" / "race.parquet")
    return {
        "hungary-2024-q (car data, ~3.7 Hz)": hungary,
        "china-2025-r (merged, ~7.6 Hz)": china,
        "all real laps": hungary + china,
    }


def main() -> None:
    detector = load_detector()
    report: dict = {
        "model": str(default_model_path().relative_to(REPO)),
        "model_bytes": default_model_path().stat().st_size,
        "machine": {
            "cpus": os.cpu_count(),
            "torch_threads": torch.get_num_threads(),
            "platform": platform.platform(),
        },
        "real": {},
        "simulated_held_out": {},
    }
    sets = real_sets()
    for name, laps in sets.items():
        entry = {"laps": len(laps)}
        for key, chosen, channels in (
            ("cnn_all_channels", detector, None),
            ("cnn_speed_only", detector, ["Speed"]),
            ("rules_speed_only", "rules", ["Speed"]),
        ):
            scores = evaluate_laps(laps, chosen, channels, progress=True)
            entry[key] = scores_table(scores)
            print(f"== {name}: {key}\n{format_scores(scores)}\n")
        report["real"][name] = entry

    sim = []
    for i, circuit in enumerate(CIRCUITS):
        for feed in ("car", "merged"):
            sim += simulate_laps(circuit, 40, seed=HELD_OUT_SEED + i, feed=feed)
    entry = {"laps": len(sim), "seed": HELD_OUT_SEED}
    for key, channels in (("cnn_all_channels", None), ("cnn_speed_only", ["Speed"])):
        scores = evaluate_laps(sim, detector, channels=channels)
        entry[key] = scores_table(scores)
        print(f"== simulated held-out: {key}\n{format_scores(scores)}\n")
    entry["rules_speed_only"] = scores_table(evaluate_laps(sim, "rules", channels=["Speed"]))
    report["simulated_held_out"] = entry

    race = sets["china-2025-r (merged, ~7.6 Hz)"]
    laps = (race * (THROUGHPUT_LAPS // len(race) + 1))[:THROUGHPUT_LAPS]
    detector.detect_laps(laps[:64])  # warm-up
    started = time.perf_counter()
    detector.detect_laps(laps, batch_size=64)
    total = time.perf_counter() - started
    model_s = detector.last_model_seconds
    started = time.perf_counter()
    for lap in laps:
        rule_detect(lap)
    rules_s = time.perf_counter() - started
    report["throughput"] = {
        "laps": len(laps),
        "samples": int(sum(len(lap) for lap in laps)),
        "cnn_model_seconds": model_s,
        "cnn_model_laps_per_second": len(laps) / model_s,
        "cnn_total_seconds": total,
        "cnn_total_laps_per_second": len(laps) / total,
        "rules_seconds": rules_s,
        "rules_laps_per_second": len(laps) / rules_s,
        "target_model_seconds": 5.0,
    }
    print("throughput:", report["throughput"])
    write_json(REPO / "bench" / "events.json", report)
    print(f"wrote {REPO / 'bench' / 'events.json'}")


if __name__ == "__main__":
    main()
