"""Measure the default event detector -> ``bench/events.json``.

- Real laps of ../shared/data that never train it (labels: the rules on all channels): per
  type the precision, recall, F1 (IoU 0.5), segmental F1@{0.10, 0.25, 0.50} and edit score,
  braking's onset error (median, 90th percentile, m) of the CNN through all channels and the
  reduced feeds users read (Speed; Speed, Throttle; Speed, RPM, nGear), beside the speed-only
  rule baseline; the 2026 test day's DRS detections per 200 laps; each set's targets (issue
  34's) and whether they are met.
- The simulator's held-out laps of both eras (a seed the default model never saw).
- Throughput: 1,200 laps (the real race laps, repeated) in one call: model seconds and laps/s
  on the NumPy engine (and the torch engine's model seconds), beside the rule detector's and
  pandas reading the race file (the floor of this machine).
- What the user waits for: ``detect-events``, ``summarize`` and ``report`` on the whole race
  file (224 laps), wall to wall in a fresh process, beside a fresh Python that imports pandas
  and reads the same file (the floor); and start-up: ``--help``, a usage error and one lap
  (rules, the CNN on NumPy and on torch) beside a fresh Python reading that lap with pandas.
- The pipeline at scale: ``detect-events`` on a 1,200-lap CSV (the race repeated), wall to
  wall with its peak RSS and the rule detector's, beside pandas reading the CSV; and the same
  work in one process stage by stage (read, clean, features, model, post-process, write).
"""

from __future__ import annotations

import os
import platform
import subprocess
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import pandas as pd
import torch
from wall_clock import wall

from telecnn.atomic import write_json
from telecnn.telemetry.detector import default_model_path, load_detector
from telecnn.telemetry.detector.baseline import rule_detect_laps
from telecnn.telemetry.detector.evaluate import format_scores, scores_table
from telecnn.telemetry.detector.scoring import evaluate_laps
from telecnn.telemetry.simulate import CIRCUITS, ERAS, simulate_laps
from telecnn.telemetry.sources import read_laps

REPO = Path(__file__).resolve().parents[1]
DATA = Path(os.environ.get("TELECNN_SHARED", REPO.parent / "shared")) / "data" / "f1"
HELD_OUT_SEED = 424242
THROUGHPUT_LAPS = 1200


HUNGARY = "hungary-2024-q (car data, ~3.7 Hz)"
CHINA = "china-2025-r (merged, ~7.6 Hz)"
BAHRAIN = "bahrain-2026-test day 1 (no DRS, merged, ~7.5 Hz)"
#: The feeds each set is scored through: scores key -> channels (None: all).
FEEDS: dict[str, list[str] | None] = {
    "cnn_all_channels": None,
    "cnn_speed_only": ["Speed"],
    "cnn_speed_throttle": ["Speed", "Throttle"],
    "cnn_speed_rpm_gear": ["Speed", "RPM", "nGear"],
}
#: The feeds also scored with the model's own event edges (where the channels read give them
#: otherwise: ``Detector.channel_edges``).
OWN_EDGES = ("cnn_all_channels", "cnn_speed_throttle")
#: The shipped model's targets (issue 34), on every set: (scores key, type) -> least F1.
TARGETS: dict[tuple[str, str], float] = {
    ("cnn_speed_only", "braking"): 0.92,
    ("cnn_speed_throttle", "braking"): 0.92,
    ("cnn_speed_throttle", "lift_coast"): 0.80,
    ("cnn_speed_throttle", "clipping"): 0.90,
    ("cnn_speed_rpm_gear", "braking"): 0.88,
    ("cnn_speed_rpm_gear", "upshift"): 0.97,
    ("cnn_speed_rpm_gear", "downshift"): 0.97,
    ("cnn_all_channels", "braking"): 0.98,
    ("cnn_all_channels", "drs"): 0.98,
    ("cnn_all_channels", "lift_coast"): 0.92,
    ("cnn_all_channels", "clipping"): 0.93,
    ("cnn_all_channels", "upshift"): 0.98,
    ("cnn_all_channels", "downshift"): 0.98,
}
#: Speed alone: the 90th percentile of braking's onset error (m), at most.
MAX_SPEED_ONLY_ONSET_P90_M = 15.0
#: At most this many DRS detections per 200 laps of cars without DRS.
MAX_DRS_PER_200 = 1.0


def real_sets() -> dict[str, list]:
    """The evaluation sets (none of them trains the shipped model)."""
    hungary = []
    for path in sorted((DATA / "hungary-2024-q").glob("*.json")):
        hungary += read_laps(path)
    return {
        HUNGARY: hungary,
        CHINA: read_laps(DATA / "china-2025-r" / "race.parquet"),
        BAHRAIN: read_laps(DATA / "bahrain-2026-test" / "day1.parquet"),
    }


def check_targets(name: str, entry: dict) -> dict[str, dict]:
    """Each target of a set beside the measured value, and whether it is met (a type the set
    does not have, as DRS on 2026 cars, has none)."""
    out = {}
    for (key, event), least in TARGETS.items():
        f1 = entry[key].get(event, {}).get("f1")
        if f1 is not None:
            out[f"{key}/{event}"] = {"f1": f1, "target": least, "met": f1 >= least}
    onset = entry["cnn_speed_only"]["braking"].get("p90_onset_error_m")
    out["cnn_speed_only/braking_onset_p90_m"] = {
        "value": onset,
        "target": MAX_SPEED_ONLY_ONSET_P90_M,
        "met": onset is not None and onset <= MAX_SPEED_ONLY_ONSET_P90_M,
    }
    if name == BAHRAIN:
        per_200 = entry["drs_detections_per_200_laps"]
        out["drs_detections_per_200_laps"] = {
            "value": per_200,
            "target": MAX_DRS_PER_200,
            "met": per_200 <= MAX_DRS_PER_200,
        }
    return out


def main() -> None:
    detector = load_detector()
    own_edges = replace(detector, channel_edges=False)
    report: dict = {
        "model": str(default_model_path().relative_to(REPO)),
        "model_card": detector.card,
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
        runs = [(key, detector, channels) for key, channels in FEEDS.items()]
        # the same model with its own edges where the channels give them (OWN_EDGES)
        runs += [(f"{key}_model_edges", own_edges, FEEDS[key]) for key in OWN_EDGES]
        for key, chosen, channels in [*runs, ("rules_speed_only", "rules", ["Speed"])]:
            scores = evaluate_laps(laps, chosen, channels, progress=True)
            entry[key] = scores_table(scores)
            print(f"== {name}: {key}\n{format_scores(scores)}\n")
        drs = entry["cnn_all_channels"].get("drs", {}).get("detected", 0)
        entry["drs_detections_per_200_laps"] = 200 * drs / len(laps)
        entry["targets"] = check_targets(name, entry)
        for target, result in entry["targets"].items():
            print(f"   {name}: {target} {result}")
        report["real"][name] = entry

    sim = []
    for era in ERAS:
        for i, circuit in enumerate(CIRCUITS):
            for feed in ("car", "merged"):
                sim += simulate_laps(circuit, 20, seed=HELD_OUT_SEED + i, feed=feed, era=era)
    entry = {"laps": len(sim), "seed": HELD_OUT_SEED, "eras": list(ERAS)}
    for key, channels in (("cnn_all_channels", None), ("cnn_speed_only", ["Speed"])):
        scores = evaluate_laps(sim, detector, channels=channels)
        entry[key] = scores_table(scores)
        print(f"== simulated held-out: {key}\n{format_scores(scores)}\n")
    entry["rules_speed_only"] = scores_table(evaluate_laps(sim, "rules", channels=["Speed"]))
    report["simulated_held_out"] = entry

    race = sets[CHINA]
    laps = (race * (THROUGHPUT_LAPS // len(race) + 1))[:THROUGHPUT_LAPS]
    detector.detect_laps(laps[:64])  # warm-up
    started = time.perf_counter()
    detector.detect_laps(laps, batch_size=64)
    total = time.perf_counter() - started
    model_s = detector.last_model_seconds
    started = time.perf_counter()
    rule_detect_laps(laps)
    rules_s = time.perf_counter() - started
    started = time.perf_counter()
    pd.read_parquet(DATA / "china-2025-r" / "race.parquet")
    floor_s = (time.perf_counter() - started) * len(laps) / len(race)
    torch_detector = load_detector(engine="torch")
    torch_detector.detect_laps(laps[:64])  # warm-up
    torch_detector.detect_laps(laps, batch_size=64)
    report["throughput"] = {
        "engine": "numpy",
        "torch_engine_model_seconds": torch_detector.last_model_seconds,
        "laps": len(laps),
        "samples": int(sum(len(lap) for lap in laps)),
        "cnn_model_seconds": model_s,
        "cnn_model_laps_per_second": len(laps) / model_s,
        "cnn_total_seconds": total,
        "cnn_total_laps_per_second": len(laps) / total,
        "rules_seconds": rules_s,
        "rules_laps_per_second": len(laps) / rules_s,
        "target_model_seconds": 2.0,
        "floor_pandas_read_seconds": floor_s,
        "model_seconds_per_floor": model_s / floor_s,
        # in-process, the model alone (its floor scaled from one read of the race): the
        # whole command, wall to wall beside its own floor, is pipeline_1200_lap_csv below
        "model_seconds_per_1000_laps": 1000 * model_s / len(laps),
        "floor_pandas_read_seconds_per_1000_laps": 1000 * floor_s / len(laps),
    }
    print("throughput:", report["throughput"])
    report["whole_command"] = whole_command()
    print("whole command:", report["whole_command"])
    report["start_up"] = start_up()
    print("start-up:", report["start_up"])
    report["pipeline_1200_lap_csv"] = pipeline()
    print("1,200-lap CSV:", report["pipeline_1200_lap_csv"])
    write_json(REPO / "bench" / "events.json", report)
    print(f"wrote {REPO / 'bench' / 'events.json'}")


#: The commands timed on the whole race, wall to wall: name -> arguments (OUT: a temp folder).
RACE_COMMANDS = {
    "detect_events": ["detect-events", "--out", "OUT/events.parquet"],
    "summarize": ["summarize", "--out", "OUT/summary.parquet", "--plot", "OUT/energy.png"],
    "report": ["report", "--out", "OUT/race.html"],
}


def whole_command() -> dict[str, float]:
    """``detect-events``, ``summarize`` and ``report`` on the whole race, wall to wall, beside
    the pandas floor."""
    race = DATA / "china-2025-r" / "race.parquet"
    floor = wall([sys.executable, "-c", f"import pandas as pd; pd.read_parquet({str(race)!r})"])
    out: dict[str, float] = {"floor_python_pandas_read_seconds": floor}
    with tempfile.TemporaryDirectory() as tmp:
        for name, args in RACE_COMMANDS.items():
            args = [a.replace("OUT", tmp) for a in args]
            cmd = [sys.executable, "-m", "telecnn.cli", args[0], "--file", str(race), *args[1:]]
            seconds = wall(cmd, runs=3 if name == "detect_events" else 2)
            out[f"{name}_race_seconds"] = seconds
            out[f"{name}_ratio_to_floor"] = seconds / floor
    return out


#: What a user waits for on one lap, or on a mistake: name -> telecnn arguments (LAP: a file).
ONE_LAP_COMMANDS = {
    "help": ["--help"],
    "usage_error": ["detect-events", "--sim", "monza", "--out", "events.xlsx"],
    "rules_one_lap": ["detect-events", "--file", "LAP", "--detector", "rules"],
    "cnn_one_lap": ["detect-events", "--file", "LAP"],
    "cnn_one_lap_torch_engine": ["detect-events", "--file", "LAP", "--engine", "torch"],
}
#: The issue's targets on a 2-core machine (seconds, wall to wall).
START_UP_TARGETS = {"help": 0.5, "usage_error": 1.0, "rules_one_lap": 1.0, "cnn_one_lap": 1.5}


def start_up() -> dict[str, float]:
    """One lap (a qualifying lap export) and a mistake, wall to wall, beside a fresh Python
    reading the same file with pandas."""
    lap = str(DATA / "hungary-2024-q" / "LEC.json")
    read = f"import json, pandas as pd; pd.DataFrame(json.load(open({lap!r}))['telemetry'])"
    floor = wall([sys.executable, "-c", read], runs=5)
    out: dict[str, float] = {"floor_python_pandas_read_seconds": floor}
    for name, args in ONE_LAP_COMMANDS.items():
        cmd = [sys.executable, "-m", "telecnn.cli", *(lap if a == "LAP" else a for a in args)]
        seconds = wall(cmd, runs=5, check=name != "usage_error")
        out[f"{name}_seconds"] = seconds
        out[f"{name}_ratio_to_floor"] = seconds / floor
        if name in START_UP_TARGETS:
            out[f"{name}_target_seconds"] = START_UP_TARGETS[name]
    return out


def big_csv(folder: Path) -> Path:
    """The race's 224 laps repeated to :data:`THROUGHPUT_LAPS` laps as one CSV (each copy a
    driver of its own: ``NOR2``...), as fastf1's merged telemetry would be exported."""
    race = pd.read_parquet(DATA / "china-2025-r" / "race.parquet")
    copies = []
    per_copy = race.groupby(["Driver", "LapNumber"]).ngroups
    for k in range(-(-THROUGHPUT_LAPS // per_copy)):
        copy = race.copy()
        copy["Driver"] = copy["Driver"] + (str(k + 1) if k else "")
        copies.append(copy)
    frame = pd.concat(copies, ignore_index=True)
    keys = frame[["Driver", "LapNumber"]].drop_duplicates().head(THROUGHPUT_LAPS)
    frame = frame.merge(keys, on=["Driver", "LapNumber"])
    frame["Time"] = frame["Time"].dt.total_seconds()
    path = folder / "race1200.csv"
    frame.to_csv(path, index=False)
    return path


def pipeline() -> dict[str, float]:
    """``detect-events`` on a 1,200-lap CSV, wall to wall with its peak RSS, beside pandas
    reading the file; and the same work in one process, stage by stage."""
    from telecnn.telemetry.analysis.tables import write_events
    from telecnn.telemetry.sources.files import read_table, split_laps

    with tempfile.TemporaryDirectory() as tmp:
        csv = big_csv(Path(tmp))
        out: dict[str, float] = {
            "laps": THROUGHPUT_LAPS,
            "csv_megabytes": csv.stat().st_size / 2**20,
        }
        floor = wall([sys.executable, "-c", f"import pandas as pd; pd.read_csv({str(csv)!r})"])
        events = str(Path(tmp) / "events.json")
        command = [sys.executable, "-m", "telecnn.cli", "detect-events", "--file", str(csv),
                   "--out", events]  # fmt: skip
        peak = (
            "import resource, subprocess, sys; subprocess.run(sys.argv[1:], check=True, "
            "capture_output=True); print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)"
        )
        started = time.perf_counter()
        rss = subprocess.run([sys.executable, "-c", peak, *command], capture_output=True,
                             text=True, check=True).stdout  # fmt: skip
        out["detect_events_seconds"] = time.perf_counter() - started
        out["detect_events_laps_per_second"] = THROUGHPUT_LAPS / out["detect_events_seconds"]
        out["detect_events_peak_rss_megabytes"] = int(rss.strip()) / 1024
        out["floor_python_pandas_read_csv_seconds"] = floor
        out["ratio_to_floor"] = out["detect_events_seconds"] / floor
        rules = wall([*command, "--detector", "rules"], runs=1)
        out["rules_seconds"] = rules
        out["rules_laps_per_second"] = THROUGHPUT_LAPS / rules

        detector = load_detector()
        clock = time.perf_counter()
        frame, base = read_table(csv)
        stages = {"read": time.perf_counter() - clock}
        clock = time.perf_counter()
        laps = split_laps(frame, base)
        stages["clean"] = time.perf_counter() - clock
        clock = time.perf_counter()
        detector._inputs(laps, None, False)
        stages["features"] = time.perf_counter() - clock
        probs, used = detector._probabilities(laps, None, 64, False)
        stages["model"] = detector.last_model_seconds
        clock = time.perf_counter()
        found = detector.events_of_laps(laps, probs, used)
        stages["postprocess"] = time.perf_counter() - clock
        clock = time.perf_counter()
        write_events(Path(tmp) / "again.json", laps, found)
        stages["write"] = time.perf_counter() - clock
        out |= {f"stage_{name}_seconds": seconds for name, seconds in stages.items()}
    return out


if __name__ == "__main__":
    main()
