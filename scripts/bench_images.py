"""Benchmark of the FashionMNIST pipeline, written to ``bench/images.json``.

Parts (``--only`` picks some; results merge into the existing file):

- ``throughput``: training images/s of this pipeline (in-memory uint8 tensors, batched
  ``grid_sample`` augmentation, channels_last, bfloat16 autocast where native) beside a
  reference done the notebook's way (a Dataset whose ``__getitem__`` augments one PIL image at
  a time, a DataLoader with default workers, float32 NCHW), same model and batch size, measured
  in one run, alternating.
- ``notebook``: full 10-epoch runs of both models with the notebook recipe (accuracy, s/epoch).
- ``fast``: the fast recipe with MiniResNet (accuracy and wall time).
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import platform
import random
import sys
import tempfile
import time
from collections.abc import Iterable
from pathlib import Path

import numpy as np
import torch
from PIL import Image
from torch import nn
from torch.utils.data import DataLoader, Dataset

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from telecnn.atomic import write_json  # noqa: E402
from telecnn.device import autocast_dtype  # noqa: E402
from telecnn.training import DistContext, fit  # noqa: E402
from vision.fashion_mnist import load_fashion_mnist  # noqa: E402
from vision.models import create_model  # noqa: E402
from vision.recipes import RECIPES, build_optimizer  # noqa: E402
from vision.train import TensorBatches, TrainConfig, train_images  # noqa: E402

OUT = Path("bench/images.json")
PARTS = ("throughput", "notebook", "fast")


class PerSampleDataset(Dataset):
    """The notebook's way: each ``__getitem__`` turns one image into PIL, rotates, shifts it."""

    def __init__(self, images: torch.Tensor, labels: torch.Tensor) -> None:
        self.images, self.labels = images.numpy(), labels.numpy()

    def __len__(self) -> int:
        return len(self.labels)

    def __getitem__(self, i: int) -> tuple[torch.Tensor, int]:
        img = Image.fromarray(self.images[i])
        img = img.rotate(random.uniform(-10, 10), resample=Image.NEAREST, fillcolor=0)
        tx, ty = (round(random.uniform(-2.8, 2.8)) for _ in range(2))
        img = img.transform(
            img.size, Image.AFFINE, (1, 0, -tx, 0, 1, -ty), resample=Image.NEAREST, fillcolor=0
        )
        x = torch.from_numpy(np.asarray(img, dtype=np.float32) / 255.0).unsqueeze(0)
        return (x - 0.5) / 0.5, int(self.labels[i])


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


def full_run(model: str, recipe: str) -> dict:
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        result = train_images(
            TrainConfig(
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
    if "notebook" in args.only:
        kept = {r["model"]: r for r in results.get("notebook_recipe", [])}
        kept.update({m: full_run(m, "notebook") for m in args.models})
        results["notebook_recipe"] = [kept[m] for m in MODEL_NAMES if m in kept]
        print(json.dumps(results["notebook_recipe"], indent=2))
    if "fast" in args.only:
        results["fast_recipe"] = full_run("mini-resnet", "fast")
        print(json.dumps(results["fast_recipe"], indent=2))
    results["machine"] = machine()
    write_json(args.out, results)


if __name__ == "__main__":
    main()
