"""Measure many sources at once and large files -> ``bench/season.json``.

- A season: 24 sources (copies of the China race, drivers renamed per copy) and 4 of them,
  through ``detect-events --out DIR/`` with ``--jobs 2``: the peak memory of all the command's
  processes together (sampled from /proc every 20 ms), wall to wall; the 24-source run's peak
  against the 4-source run's (flat: within 1.2x); ``--jobs 2`` against ``--jobs 1`` on the 24
  (two cores: within 0.6x; the CPU seconds say how many cores each kept busy: one job already
  runs the model on every core), each the median of 3 runs; beside a fresh Python reading the
  same files with pandas (each run's floor, measured in the same run, and its wall over it).
- A file far larger than a race: the 2025 Australian race (20 drivers, 752,000 rows) and the
  Chinese one (4 drivers, 164,000 rows), each alone and ten times over in one file (drivers
  renamed per copy), ``detect-events --out`` wall to wall with its peak memory: the 10x
  file's peak against the race's (within 1.5x); each beside pandas reading the same file.
"""

from __future__ import annotations

import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd
from wall_clock import wall

from telecnn.atomic import write_json

REPO = Path(__file__).resolve().parents[1]
DATA = Path(os.environ.get("TELECNN_SHARED", REPO.parent / "shared")) / "data" / "f1"
TELECNN = [sys.executable, "-m", "telecnn.cli"]
PAGE = os.sysconf("SC_PAGE_SIZE")


def tree_rss(pid: int) -> int:
    """Bytes resident in process ``pid`` and all its descendants now (0 once it is gone)."""
    children: dict[int, list[int]] = {}
    rss: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            statm = (entry / "statm").read_text().split()
        except OSError:
            continue
        children.setdefault(int(stat[1]), []).append(int(entry.name))
        rss[int(entry.name)] = int(statm[1]) * PAGE
    total, todo = 0, [pid]
    while todo:
        p = todo.pop()
        total += rss.get(p, 0)
        todo += children.get(p, [])
    return total


def measure(cmd: list[str]) -> dict[str, float]:
    """Wall seconds, CPU seconds and the peak memory (MB) of every process of ``cmd``
    together (the CPU seconds over the wall: how many cores it kept busy)."""
    env = {**os.environ, "MPLBACKEND": "Agg"}
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    process = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    peak = 0
    while process.poll() is None:
        peak = max(peak, tree_rss(process.pid))
        time.sleep(0.02)
    seconds = time.perf_counter() - started
    if process.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed:\n{process.stderr.read().decode()[-2000:]}")
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return {
        "wall_s": round(seconds, 2),
        "cpu_s": round(cpu, 2),
        "cores_busy": round(cpu / seconds, 2),
        "peak_mb": round(peak / 2**20, 1),
    }


def floor(paths: list[Path]) -> float:
    """A fresh Python importing pandas and reading ``paths`` (what the command reads): this
    machine's floor for it, in the same run, the median of 3 as the commands are."""
    code = f"import pandas as pd\nfor p in {[str(p) for p in paths]!r}: pd.read_parquet(p)"
    return round(wall([sys.executable, "-c", code]), 2)


def with_floor(run: dict[str, float], paths: list[Path]) -> dict[str, float]:
    """A run's figures with its floor (pandas reading the same files) and its wall over it."""
    floor_s = floor(paths)
    return {**run, "floor_s": floor_s, "over_floor": round(run["wall_s"] / floor_s, 2)}


def median_run(cmds: list[list[str]]) -> dict[str, float]:
    """The run of median wall time of ``cmds`` (the same work each, into a fresh output: one
    run on a 2-core machine is noisy)."""
    found = sorted((measure(cmd) for cmd in cmds), key=lambda m: m["wall_s"])
    return found[len(found) // 2]


def copies(source: Path, folder: Path, count: int, one_file: bool = False) -> list[Path]:
    """``count`` copies of a race file, drivers renamed per copy (one file, or one each)."""
    race = pd.read_parquet(source)
    parts = [race.assign(Driver=race.Driver + f"{k:02d}") for k in range(count)]
    if one_file:
        path = folder / f"{source.stem}x{count}.parquet"
        pd.concat(parts, ignore_index=True).to_parquet(path)
        return [path]
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for k, part in enumerate(parts):
        paths.append(folder / f"race{k:02d}.parquet")
        part.to_parquet(paths[-1])
    return paths


def main() -> None:
    out: dict = {"machine": {"cpus": os.cpu_count(), "platform": platform.platform()}}
    race = DATA / "china-2025-r" / "race.parquet"
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        inputs = {"season24": copies(race, root / "season24", 24),
                  "season4": copies(race, root / "season4", 4)}  # fmt: skip
        runs = {}
        for name, sources, jobs in (("4 sources, --jobs 2", "season4", 2),
                                    ("24 sources, --jobs 2", "season24", 2),
                                    ("24 sources, --jobs 1", "season24", 1)):  # fmt: skip
            cmds = [[*TELECNN, "detect-events", "--file", str(root / sources / "*.parquet"),
                     "--jobs", str(jobs), "--out", f"{root / f'out-{sources}-{jobs}-{k}'}/"]
                    for k in range(3)]  # fmt: skip
            runs[name] = with_floor(median_run(cmds), inputs[sources])
            print(name, runs[name], flush=True)
        out["season"] = {
            "runs": runs,
            "peak_24_over_4": round(
                runs["24 sources, --jobs 2"]["peak_mb"] / runs["4 sources, --jobs 2"]["peak_mb"], 2
            ),
            "wall_jobs2_over_jobs1": round(
                runs["24 sources, --jobs 2"]["wall_s"] / runs["24 sources, --jobs 1"]["wall_s"], 2
            ),
            "targets": {"peak_24_over_4": 1.2, "wall_jobs2_over_jobs1": 0.6},
        }
        out["large_file"] = {}
        for name in ("australia-2025", "china-2025-r"):
            race = DATA / name / "race.parquet"
            folder = root / name
            folder.mkdir()
            big = copies(race, folder, 10, one_file=True)[0]
            runs = {}
            for what, path in (("one race", race), ("ten races in one file", big)):
                cmd = [*TELECNN, "detect-events", "--file", str(path), "--out",
                       str(folder / f"{path.stem}-events.parquet")]  # fmt: skip
                runs[what] = with_floor(measure(cmd), [path])
                print(name, what, runs[what], flush=True)
            out["large_file"][name] = {
                "rows": pd.read_parquet(race, columns=["Driver"]).shape[0],
                "runs": runs,
                "peak_10x_over_1x": round(
                    runs["ten races in one file"]["peak_mb"] / runs["one race"]["peak_mb"], 2
                ),
                "target_peak_10x_over_1x": 1.5,
            }
    path = REPO / "bench" / "season.json"
    write_json(path, out)
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
