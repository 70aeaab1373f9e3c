"""Benchmark telecnn.kernels.conv1d / conv2d against scipy, torch and a naive loop.

Writes ``bench/kernels.json``: median times of repeated runs for our ``conv2d`` on a 256x256
image with a 3x3 kernel and our ``conv1d`` on a 1,000,000-sample trace with a 3-tap kernel,
beside ``scipy.signal.correlate2d`` / ``scipy.signal.correlate``, torch's ``conv2d`` /
``conv1d`` and a Python loop over output positions (timed on a slice, scaled to the whole
output). Targets: no slower than 1.5x scipy, at least 100x faster than the naive loop.

Run: ``.venv/bin/python scripts/bench_kernels.py [--out bench/kernels.json] [--strict]``
(``--strict`` exits 1 when a target is missed).
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import timeit
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import scipy
import scipy.signal
import torch
import torch.nn.functional as F

from telecnn.atomic import write_json
from telecnn.kernels import conv1d, conv2d

MAX_RATIO_TO_SCIPY = 1.5
MIN_SPEEDUP_OVER_NAIVE = 100.0
REPEATS = 15


def median_seconds(fn: Callable[[], object], repeats: int = REPEATS) -> float:
    """Median time of one call over ``repeats`` rounds, each long enough to time reliably
    (:meth:`timeit.Timer.autorange`)."""
    fn()  # warm up (allocations, caches, lazy imports)
    timer = timeit.Timer(fn)
    number, _ = timer.autorange()
    return statistics.median(timer.repeat(repeats, number)) / number


def naive_conv1d(x: np.ndarray, w: np.ndarray, outputs: int) -> np.ndarray:
    """The notebook's loop: one window and one weighted sum per output position."""
    k = len(w)
    out = np.empty(outputs)
    for i in range(outputs):
        out[i] = np.sum(x[i : i + k] * w)
    return out


def naive_conv2d(image: np.ndarray, w: np.ndarray, rows: int) -> np.ndarray:
    """The notebook's double loop over output rows and columns (first ``rows`` rows only)."""
    kh, kw = w.shape
    cols = image.shape[1] - kw + 1
    out = np.empty((rows, cols))
    for i in range(rows):
        for j in range(cols):
            out[i, j] = np.sum(image[i : i + kh, j : j + kw] * w)
    return out


def compare(
    ours: Callable[[], object],
    scipy_fn: Callable[[], object],
    torch_fn: Callable[[], object],
    naive_fn: Callable[[], object],
    naive_fraction: float,
) -> dict[str, Any]:
    """Time the four implementations; the naive one runs on ``naive_fraction`` of the output."""
    times = {
        "telecnn": median_seconds(ours),
        "scipy": median_seconds(scipy_fn),
        "torch": median_seconds(torch_fn),
    }
    naive_rounds = [_time_once(naive_fn) for _ in range(3)]
    times["naive_loop"] = statistics.median(naive_rounds) / naive_fraction
    ratio = times["telecnn"] / times["scipy"]
    speedup = times["naive_loop"] / times["telecnn"]
    return {
        "median_ms": {name: seconds * 1e3 for name, seconds in times.items()},
        "naive_loop_timed_fraction": naive_fraction,
        "ratio_to_scipy": ratio,
        "speedup_over_naive": speedup,
        "speedup_over_torch": times["torch"] / times["telecnn"],
        "pass_scipy_target": ratio <= MAX_RATIO_TO_SCIPY,
        "pass_naive_target": speedup >= MIN_SPEEDUP_OVER_NAIVE,
    }


def _time_once(fn: Callable[[], object]) -> float:
    return timeit.Timer(fn).timeit(1)


def bench_conv(
    x: np.ndarray, w: np.ndarray, naive_fn: Callable[[], object], naive_fraction: float
) -> dict[str, Any]:
    """Our conv of ``x`` (a trace or an image) with ``w``, no padding (``valid``), against
    scipy's correlate, torch's conv and the naive loop (on ``naive_fraction`` of the output);
    also ``same`` padding against scipy."""
    ours, reference, torch_conv = (
        (conv1d, scipy.signal.correlate, F.conv1d)
        if x.ndim == 1
        else (conv2d, scipy.signal.correlate2d, F.conv2d)
    )
    xt, wt = torch.from_numpy(x)[None, None], torch.from_numpy(w)[None, None]
    if not np.allclose(ours(x, w), reference(x, w, mode="valid"), rtol=1e-12, atol=1e-12):
        raise SystemExit(f"{ours.__name__} disagrees with scipy.signal.{reference.__name__}")
    with torch.no_grad():
        result = compare(
            lambda: ours(x, w),
            lambda: reference(x, w, mode="valid"),
            lambda: torch_conv(xt, wt),
            naive_fn,
            naive_fraction,
        )
    same = {
        "telecnn": median_seconds(lambda: ours(x, w, padding="same")) * 1e3,
        "scipy": median_seconds(lambda: reference(x, w, mode="same")) * 1e3,
    }
    return {
        "input": list(x.shape),
        "kernel": list(w.shape),
        "padding": "valid",
        **result,
        "same_padding_median_ms": same,
    }


def bench_conv2d(rng: np.random.Generator) -> dict[str, Any]:
    """A 256x256 image and a 3x3 kernel."""
    image, w = rng.standard_normal((256, 256)), rng.standard_normal((3, 3))
    rows = 32
    return bench_conv(image, w, lambda: naive_conv2d(image, w, rows), rows / (256 - 2))


def bench_conv1d(rng: np.random.Generator) -> dict[str, Any]:
    """A 1,000,000-sample trace and a 3-tap kernel."""
    x, w = rng.standard_normal(1_000_000), rng.standard_normal(3)
    sliced = 20_000
    return bench_conv(x, w, lambda: naive_conv1d(x, w, sliced), sliced / (len(x) - 2))


def machine() -> dict[str, Any]:
    return {
        "cpu_count": os.cpu_count(),
        "processor": platform.processor() or platform.machine(),
        "python": platform.python_version(),
        "numpy": np.__version__,
        "scipy": scipy.__version__,
        "torch": torch.__version__,
        "torch_threads": torch.get_num_threads(),
        "repeats": REPEATS,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--out", type=Path, default=Path(__file__).parents[1] / "bench/kernels.json"
    )
    parser.add_argument("--strict", action="store_true", help="exit 1 when a target is missed")
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    report: dict[str, Any] = {
        "machine": machine(),
        "targets": {
            "max_ratio_to_scipy": MAX_RATIO_TO_SCIPY,
            "min_speedup_over_naive": MIN_SPEEDUP_OVER_NAIVE,
        },
    }
    for name, bench in (("conv2d_256x256_3x3", bench_conv2d), ("conv1d_1e6_3tap", bench_conv1d)):
        print(f"timing {name} ...", file=sys.stderr, flush=True)
        report[name] = result = bench(rng)
        ms = result["median_ms"]
        print(
            f"{name}: telecnn {ms['telecnn']:.3f} ms, scipy {ms['scipy']:.3f} ms "
            f"(x{result['ratio_to_scipy']:.2f}, target <= {MAX_RATIO_TO_SCIPY}), "
            f"torch {ms['torch']:.3f} ms, naive loop {ms['naive_loop']:.0f} ms "
            f"({result['speedup_over_naive']:.0f}x faster, target >= {MIN_SPEEDUP_OVER_NAIVE:.0f})"
        )
    passed = all(
        report[name][key]
        for name in ("conv2d_256x256_3x3", "conv1d_1e6_3tap")
        for key in ("pass_scipy_target", "pass_naive_target")
    )
    report["pass"] = passed
    write_json(args.out, report)
    print(f"wrote {args.out}: {'all targets met' if passed else 'a target was missed'}")
    return 0 if passed or not args.strict else 1


if __name__ == "__main__":
    sys.exit(main())
