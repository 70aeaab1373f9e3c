"""Benchmark of the FashionMNIST pipeline, written to ``bench/images.json``.

Parts (``--only`` picks some; results merge into the existing file):

- ``throughput``: training images/s of this pipeline (in-memory uint8 tensors, batched
  ``grid_sample`` augmentation, channels_last, bfloat16 autocast where native) beside a
  reference done the notebook's way (a Dataset whose ``__getitem__`` augments one PIL image at
  a time, a DataLoader with default workers, float32 NCHW), same model and batch size, measured
  in one run, alternating.
- ``wall``: what the user waits for: ``telecnn train-images --model mini-resnet --epochs 1
  --limit 20000`` as a whole process (start-up, loading, training, evaluation, six figures)
  beside the notebook's own pipeline on the same work (``scripts/notebook_pipeline.py``, its two
  figures included), run in turn, with the split of our command's time.
- ``notebook``: full 10-epoch runs of both models with the notebook recipe (accuracy, s/epoch),
  and the notebook's own pipeline on MiniResNet for 10 epochs, the accuracy floor of the recipe.
- ``fast``: the fast recipe with MiniResNet as the user runs it (``telecnn train-images
  --model mini-resnet --recipe fast``, a whole process with its six figures) beside the
  notebook's own pipeline for its 10 epochs (``scripts/notebook_pipeline.py``, a whole process
  with its two figures), in turn: accuracy, both wall times, and the split of our command's.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from collections.abc import Iterable
from pathlib import Path

import torch
from torch import nn
from torch.utils.data import DataLoader

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import notebook_pipeline  # noqa: E402
from notebook_pipeline import PerSampleDataset  # noqa: E402
from wall_clock import once  # noqa: E402

from telecnn.atomic import write_json  # noqa: E402
from telecnn.device import autocast_dtype  # noqa: E402
from telecnn.training import DistContext, fit  # noqa: E402
from vision.fashion_mnist import load_fashion_mnist  # noqa: E402
from vision.models import create_model  # noqa: E402
from vision.recipes import RECIPES, build_optimizer  # noqa: E402
from vision.train import ImageTrainConfig, TensorBatches, train_images  # noqa: E402

OUT = Path("bench/images.json")
PARTS = ("throughput", "wall", "notebook", "fast")
REPO = Path(__file__).resolve().parents[1]


def _time_fit(
    model: nn.Module, batches: Iterable, steps: int, autocast: torch.dtype | None = None
) -> float:
    """Seconds :func:`fit` takes for ``steps`` notebook-recipe steps, after 3 warm-up steps."""
    recipe = RECIPES["notebook"]
    optimizer = build_optimizer(recipe, model, recipe.lr)
    loss_fn = nn.CrossEntropyLoss(label_smoothing=recipe.label_smoothing)
    it = iter(batches)  # the timed steps continue the warm-up's batches

    def seconds_for(n: int) -> float:
        history = fit(
            model,
            optimizer,
            lambda _epoch: itertools.islice(it, n),
            loss_fn,
            1,
            show_progress=False,
            autocast=autocast,
        )
        return history[0]["train_seconds"]

    seconds_for(3)
    return seconds_for(steps)


def throughput(model_name: str, steps: int, rounds: int, batch_size: int = 128) -> dict:
    train, _ = load_fashion_mnist()
    torch.manual_seed(0)
    ref_loader = DataLoader(
        PerSampleDataset(train.images, train.labels), batch_size=batch_size, shuffle=True
    )
    ours = TensorBatches(
        train, batch_size, 42, RECIPES["notebook"], torch.device("cpu"), DistContext()
    )
    our_dtype = autocast_dtype("auto", torch.device("cpu"))
    ref_s, our_s = [], []
    for r in range(rounds):  # alternate so both see the same machine load
        ref_s.append(_time_fit(create_model(model_name), ref_loader, steps))
        our_model = create_model(model_name).to(memory_format=torch.channels_last)
        our_s.append(_time_fit(our_model, ours(r), steps, our_dtype))
    images = steps * batch_size
    ref, our = images / min(ref_s), images / min(our_s)
    return {
        "model": model_name,
        "batch_size": batch_size,
        "steps_timed": steps,
        "rounds": rounds,
        "reference_images_per_s": round(ref, 1),
        "ours_images_per_s": round(our, 1),
        "speedup": round(our / ref, 2),
        "ours_compute_dtype": str(our_dtype or torch.float32),
        "reference": "Dataset.__getitem__ with PIL rotate+shift per image, DataLoader "
        "(num_workers=0, the default), float32 NCHW",
    }


MODEL_NAMES = ("mini-resnet", "simple-cnn")
WALL_WORK = ["--model", "mini-resnet", "--epochs", "1", "--limit", "20000"]


def _wall(command: list[str]) -> float:
    """Seconds a whole command takes, start to exit, run from the repository."""
    return once(command, cwd=REPO)


def wall_to_wall(rounds: int) -> dict:
    """Our command against the notebook's pipeline on the same work, whole processes in turn."""
    telecnn = str(Path(sys.executable).with_name("telecnn"))
    ours_s, notebook_s, split = [], [], {}
    with tempfile.TemporaryDirectory() as tmp:
        for r in range(rounds):
            ours_cmd = [telecnn, "train-images", *WALL_WORK, "--out", f"{tmp}/ours{r}"]
            ours_s.append(_wall(ours_cmd))
            notebook_cmd = [sys.executable, "scripts/notebook_pipeline.py", *WALL_WORK]
            notebook_s.append(_wall([*notebook_cmd, "--out", f"{tmp}/nb{r}"]))
        history = json.loads(Path(f"{tmp}/ours0/history.json").read_text())
        metrics = json.loads(Path(f"{tmp}/ours0/metrics.json").read_text())
        split = {
            "train_and_eval_epoch_s": round(history[0]["train_seconds"], 2),
            "train_plus_eval_in_command_s": round(metrics["train_seconds_this_session"], 2),
            "test_accuracy": metrics["accuracy"],
        }
    ours, notebook = statistics.median(ours_s), statistics.median(notebook_s)
    return {
        "work": "train-images " + " ".join(WALL_WORK),
        "rounds": rounds,
        "ours_wall_s": [round(x, 2) for x in ours_s],
        "notebook_wall_s": [round(x, 2) for x in notebook_s],
        "ours_median_s": round(ours, 2),
        "notebook_median_s": round(notebook, 2),
        "speedup_wall_to_wall": round(notebook / ours, 2),
        "ours_split": split,
        "notebook": "scripts/notebook_pipeline.py: PIL per image, DataLoader, float32, its loop "
        "and its two figures",
    }


def notebook_reference(model: str) -> dict:
    """The notebook's own pipeline for 10 epochs: the recipe's accuracy without our pipeline."""
    started = time.perf_counter()
    result = notebook_pipeline.run(model, 10, None, None)
    return {
        "model": model,
        "pipeline": "scripts/notebook_pipeline.py",
        "test_accuracy": round(result["test_accuracy"], 4),
        "wall_seconds": round(time.perf_counter() - started, 1),
        "test_acc_per_epoch": [round(h["test_acc"], 4) for h in result["history"]],
    }


def full_run(model: str, recipe: str) -> dict:
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        result = train_images(
            ImageTrainConfig(
                model=model,
                recipe=recipe,
                out=str(Path(tmp) / "run"),
                figures=False,
                show_progress=False,
            )
        )
    wall = time.perf_counter() - started
    m = result.metrics
    return {
        "model": model,
        "recipe": recipe,
        "epochs": m["epochs"],
        "test_accuracy": m["accuracy"],
        "seconds_per_epoch": round(m["seconds_per_epoch"], 1),
        "wall_seconds": round(wall, 1),
        "test_acc_per_epoch": [round(h["test_acc"], 4) for h in result.history],
    }


def fast_wall_to_wall() -> dict:
    """The fast recipe's whole command beside the notebook pipeline's 10 epochs, in turn."""
    telecnn = str(Path(sys.executable).with_name("telecnn"))
    work = ["--model", "mini-resnet"]
    with tempfile.TemporaryDirectory() as tmp:
        ours = _wall([telecnn, "train-images", *work, "--recipe", "fast", "--out", f"{tmp}/o"])
        notebook = _wall(
            [sys.executable, "scripts/notebook_pipeline.py", *work, "--out", f"{tmp}/nb"]
        )
        m = json.loads(Path(f"{tmp}/o/metrics.json").read_text())
        history = json.loads(Path(f"{tmp}/o/history.json").read_text())
    return {
        "model": "mini-resnet",
        "recipe": "fast",
        "epochs": m["epochs"],
        "test_accuracy": m["accuracy"],
        "wall_seconds": round(ours, 1),
        "notebook_pipeline_wall_seconds": round(notebook, 1),
        "within_notebook_time": ours <= notebook,
        "ours_split": {
            "seconds_per_epoch": round(m["seconds_per_epoch"], 1),
            "train_plus_eval_in_command_s": round(m["train_seconds_this_session"], 1),
            "rest_of_command_s": round(ours - m["train_seconds_this_session"], 1),
        },
        "test_acc_per_epoch": [round(h["test_acc"], 4) for h in history],
        "notebook": "scripts/notebook_pipeline.py --model mini-resnet (10 epochs): PIL per "
        "image, DataLoader, float32, its loop and its two figures",
    }


def machine() -> dict:
    cpu = platform.processor()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    load = os.getloadavg() if hasattr(os, "getloadavg") else None
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "torch": torch.__version__,
        "torch_threads": torch.get_num_threads(),
        "bf16_native": autocast_dtype("auto", torch.device("cpu")) is not None,
        "python": platform.python_version(),
        "load_average_at_end": load,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="+", choices=PARTS, default=list(PARTS))
    parser.add_argument("--steps", type=int, default=40, help="timed steps per throughput round")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument(
        "--threads", type=int, default=None, help="torch threads (1 is steadier on a busy machine)"
    )
    parser.add_argument(
        "--models",
        nargs="+",
        choices=MODEL_NAMES,
        default=list(MODEL_NAMES),
        help="models of the notebook part to (re)run; others keep their saved figures",
    )
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    results = json.loads(args.out.read_text()) if args.out.is_file() else {}
    if "throughput" in args.only:
        results["throughput"] = [
            throughput(m, args.steps, args.rounds) for m in ("mini-resnet", "simple-cnn")
        ]
        print(json.dumps(results["throughput"], indent=2))
    if "wall" in args.only:
        results["wall_to_wall"] = wall_to_wall(args.rounds + 1)
        print(json.dumps(results["wall_to_wall"], indent=2))
    if "notebook" in args.only:
        kept = {r["model"]: r for r in results.get("notebook_recipe", [])}
        kept.update({m: full_run(m, "notebook") for m in args.models})
        results["notebook_recipe"] = [kept[m] for m in MODEL_NAMES if m in kept]
        print(json.dumps(results["notebook_recipe"], indent=2))
        if "mini-resnet" in args.models:
            results["notebook_pipeline_reference"] = notebook_reference("mini-resnet")
            print(json.dumps(results["notebook_pipeline_reference"], indent=2))
    if "fast" in args.only:
        results["fast_recipe"] = fast_wall_to_wall()
        print(json.dumps(results["fast_recipe"], indent=2))
    results["machine"] = machine()
    write_json(args.out, results)


if __name__ == "__main__":
    main()
