"""Training the image classifiers: in-memory batching, run directories, resume.

The loop itself is :func:`telecnn.training.fit`; this module supplies it with batches drawn
straight from uint8 tensors held in memory (a seeded permutation per epoch, sharded per rank
like ``DistributedSampler`` under ``torchrun``, augmented a whole batch at a time), the
recipe's optimizer, schedule and loss, and a test-set evaluation per epoch. A run directory
holds ``run.json`` (the configuration), ``checkpoint.pt`` and ``history.json`` (after every
epoch), the figures, and last ``metrics.json``, whose presence marks a finished run.
"""

from __future__ import annotations

import itertools
import math
import os
import shutil
import time
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import asdict, dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import Any

import torch
import torch.distributed as dist
from torch import nn

from telecnn.atomic import write_failure, write_json
from telecnn.device import autocast_dtype, pick_device
from telecnn.errors import CheckpointError, TelecnnError, WriteError
from telecnn.training import (
    DistContext,
    Progress,
    RunPlan,
    RunSpec,
    fit,
    hold_run_folder,
    init_distributed,
    plan_run,
    restore,
    shutdown,
)
from telecnn.training.checkpoint import CHECKPOINT_NAME
from vision.augment import MEAN, STD, augment_batch, prepare_batch
from vision.checkpoint import KIND
from vision.evaluate import EVAL_BATCH, loss_and_accuracy, predict_logits, report
from vision.fashion_mnist import CLASS_NAMES, Split, load_fashion_mnist
from vision.models import MODELS, StagedClassifier, create_model
from vision.recipes import RECIPES, Recipe, build_optimizer, build_scheduler

RUN_CONFIG = "run.json"
METRICS = "metrics.json"
#: Training images whose batch-norm statistics are re-estimated after every epoch.
CALIBRATION_IMAGES = 2048
CALIBRATION_BATCH = 256


@dataclass
class ImageTrainConfig:
    """Everything a run needs; ``None`` for epochs, batch size and lr means the recipe's value."""

    model: str = "mini-resnet"
    recipe: str = "notebook"
    epochs: int | None = None
    batch_size: int | None = None
    lr: float | None = None
    seed: int = 42
    limit: int | None = None
    data_dir: str | None = None
    out: str | None = None
    device: str = "auto"
    precision: str = "auto"  # auto | fp32 | bf16
    channels_last: bool = True
    figures: bool = True
    show_progress: bool = True

    def resolved(self) -> ImageTrainConfig:
        """A copy with the recipe's defaults filled in and every value checked."""
        if self.model not in MODELS:
            raise TelecnnError(f"unknown model {self.model!r}: use one of {', '.join(MODELS)}")
        if self.recipe not in RECIPES:
            raise TelecnnError(f"unknown recipe {self.recipe!r}: use one of {', '.join(RECIPES)}")
        if self.precision not in ("auto", "fp32", "bf16"):
            raise TelecnnError(f"unknown precision {self.precision!r}: use auto, fp32 or bf16")
        recipe = RECIPES[self.recipe]
        cfg = replace(
            self,
            epochs=recipe.epochs if self.epochs is None else self.epochs,
            batch_size=recipe.batch_size if self.batch_size is None else self.batch_size,
            lr=recipe.lr if self.lr is None else self.lr,
        )
        for name in ("epochs", "batch_size"):
            if getattr(cfg, name) < 1:
                raise TelecnnError(
                    f"--{name.replace('_', '-')} must be at least 1, got {getattr(cfg, name)}"
                )
        if not (cfg.lr > 0 and math.isfinite(cfg.lr)):
            raise TelecnnError(f"--lr must be a positive number, got {cfg.lr}")
        if cfg.limit is not None and cfg.limit < 1:
            raise TelecnnError(f"--limit must be at least 1, got {cfg.limit}")
        return cfg


@dataclass
class TrainResult:
    """What a finished run leaves: its folder, history, final metrics and the trained model."""

    run_dir: Path | None
    history: list[dict[str, float]]
    metrics: dict[str, Any]
    model: StagedClassifier


class TensorBatches:
    """Per-epoch batches from in-memory uint8 images: shuffled, sharded, augmented on device."""

    def __init__(
        self,
        split: Split,
        batch_size: int,
        seed: int,
        recipe: Recipe,
        device: torch.device,
        ctx: DistContext,
        channels_last: bool = True,
    ) -> None:
        self.images = split.images.to(device)
        self.labels = split.labels.to(device)
        self.batch_size = batch_size
        self.seed = seed
        self.recipe = recipe
        self.ctx = ctx
        self.memory_format = torch.channels_last if channels_last else torch.contiguous_format
        # like DistributedSampler: every rank gets ceil(N / world) samples (wrapping around)
        self.per_rank = math.ceil(len(self.labels) / ctx.world_size)

    def __len__(self) -> int:
        return math.ceil(self.per_rank / self.batch_size)

    def shard(self, epoch: int) -> torch.Tensor:
        """This rank's sample indices for ``epoch``: one permutation shared by all ranks."""
        order = torch.randperm(len(self.labels), generator=_generator(self.seed, epoch))
        total = self.per_rank * self.ctx.world_size
        if total > len(order):
            order = torch.cat([order, order[: total - len(order)]])
        return order[self.ctx.rank : total : self.ctx.world_size]

    def __call__(self, epoch: int) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
        indices = self.shard(epoch).to(self.images.device)
        augment_rng = _generator(self.seed, epoch, stream=1 + self.ctx.rank)
        r = self.recipe
        for start in range(0, len(indices), self.batch_size):
            idx = indices[start : start + self.batch_size]
            x = augment_batch(
                self.images[idx],
                augment_rng,
                r.max_degrees,
                r.max_translate,
                r.flip,
                r.interpolation,
            )
            yield x.contiguous(memory_format=self.memory_format), self.labels[idx]

    def calibration(self, epoch: int) -> Iterator[torch.Tensor]:
        """Un-augmented training images (the test transform) for re-estimating batch-norm
        statistics after ``epoch``: a fixed seeded subset, in batches."""
        order = torch.randperm(len(self.labels), generator=_generator(self.seed, 0, stream=-1))
        chosen = order[:CALIBRATION_IMAGES].to(self.images.device)
        for start in range(0, len(chosen), CALIBRATION_BATCH):
            x = prepare_batch(self.images[chosen[start : start + CALIBRATION_BATCH]])
            yield x.contiguous(memory_format=self.memory_format)


def _generator(seed: int, epoch: int, stream: int = 0) -> torch.Generator:
    """A CPU generator for (seed, epoch, stream), so a resumed run draws what it would have."""
    return torch.Generator().manual_seed(seed * 1_000_003 + epoch * 7919 + stream)


def model_config(cfg: ImageTrainConfig) -> dict[str, Any]:
    """The model's constructor arguments: ten classes, one channel, the recipe's options."""
    options = dict(RECIPES[cfg.recipe].model_options) if cfg.model == "mini-resnet" else {}
    return {"num_classes": len(CLASS_NAMES), "in_channels": 1, **options}


def default_run_dir(model: str) -> Path:
    """``runs/<model>-<timestamp>``."""
    return Path("runs") / f"{model}-{datetime.now().strftime('%Y%m%d-%H%M%S')}"


def train_images(
    config: ImageTrainConfig,
    resume_from: str | os.PathLike[str] | None = None,
    force: bool = False,
) -> TrainResult:
    """Train (or, with ``resume_from``, continue) an image classifier; returns the result.

    A new run goes to ``config.out`` (default ``runs/<model>-<timestamp>``), refused where a run
    already is unless ``force``. A resumed run keeps its saved options except ``epochs``: more
    than it had extends it (its schedule re-planned); a complete run is refused. The rule is
    :func:`telecnn.training.plan_run`'s. Under ``torchrun`` every rank calls this; rank 0 alone
    writes the run directory, holding its lock (:func:`~telecnn.training.hold_run_folder`).
    """
    with ExitStack() as held:
        if resume_from is not None:
            held.enter_context(hold_run_folder(resume_from, create=False))
            plan = plan_run(
                resume_from, resume=True, force=force, kind=KIND, finished_marker=METRICS
            )
            assert plan.state is not None
            config = _config_from_checkpoint(plan.state, config)
        cfg = config.resolved()
        assert cfg.epochs is not None
        if resume_from is not None:
            plan.check_epochs(cfg.epochs)
        else:
            out = Path(cfg.out) if cfg.out else default_run_dir(cfg.model)
            held.enter_context(hold_run_folder(out))
            plan = plan_run(out, resume=False, force=force, finished_marker=METRICS)
        train_split, test_split = load_fashion_mnist(cfg.data_dir, cfg.limit)
        ctx, device = init_distributed(pick_device(cfg.device))
        try:
            if not plan.resuming:
                plan = replace(plan, run_dir=_share_run_dir(plan.run_dir, ctx))
            return _run(cfg, plan, train_split, test_split, device, ctx)
        finally:
            shutdown(ctx)


def _run(
    cfg: ImageTrainConfig,
    plan: RunPlan,
    train_split: Split,
    test_split: Split,
    device: torch.device,
    ctx: DistContext,
) -> TrainResult:
    recipe = RECIPES[cfg.recipe]
    assert cfg.epochs is not None and cfg.batch_size is not None and cfg.lr is not None
    run_dir = plan.run_dir
    torch.manual_seed(cfg.seed)
    model = create_model(cfg.model, **model_config(cfg)).to(device)
    if cfg.channels_last:
        model = model.to(memory_format=torch.channels_last)
    batches = TensorBatches(
        train_split, cfg.batch_size, cfg.seed, recipe, device, ctx, cfg.channels_last
    )
    optimizer = build_optimizer(recipe, model, cfg.lr)
    scheduler, per_batch = build_scheduler(recipe, optimizer, cfg.lr, cfg.epochs, len(batches))
    spec = RunSpec(
        KIND, cfg.model, model_config(cfg), run_dir if ctx.is_main else None, extra=_extra(cfg)
    )
    progress = Progress()
    started_dir: bool | None = None  # None: not started here; else whether we created it
    if plan.state is not None:
        progress = restore(plan.state, spec, model, optimizer, scheduler, plan.checkpoint)
        if ctx.is_main and progress.start_epoch < cfg.epochs:  # a run extended: not finished
            (run_dir / METRICS).unlink(missing_ok=True)
            write_json(run_dir / RUN_CONFIG, _run_config(cfg))
    elif ctx.is_main:
        plan.discard_previous()
        started_dir = _start_run_dir(run_dir, cfg)

    last: dict[str, torch.Tensor] = {}  # the last epoch's test logits, for the final report
    autocast = autocast_dtype(cfg.precision, device)
    epoch_of_call = itertools.count(progress.start_epoch + 1)  # the epoch each call follows

    def evaluate(net: nn.Module) -> dict[str, float]:
        """The test set after an epoch: the last one exactly (float32, mirrored where the
        recipe mirrors: what ``eval-images`` computes), the ones before in the training's
        precision on the images alone (a look at the progress, in a third of the time)."""
        if next(epoch_of_call) < cfg.epochs:
            quick = predict_logits(
                net, test_split.images, EVAL_BATCH, cfg.channels_last, autocast=autocast
            )
            return {**loss_and_accuracy(quick, test_split.labels), "test_quick": 1.0}
        last["logits"] = predict_logits(
            net, test_split.images, EVAL_BATCH, cfg.channels_last, flip_average=recipe.flip
        )
        return loss_and_accuracy(last["logits"], test_split.labels)

    loss_fn = nn.CrossEntropyLoss(label_smoothing=recipe.label_smoothing)
    started = time.perf_counter()
    try:
        history = fit(
            model,
            optimizer,
            batches,
            loss_fn,
            cfg.epochs,
            scheduler=scheduler,
            steps_per_epoch=len(batches),
            evaluate=evaluate,
            correct_fn=lambda out, y: (out.argmax(1) == y).sum(),
            spec=spec,
            progress=progress,
            ctx=ctx,
            step_scheduler_per_batch=per_batch,
            show_progress=cfg.show_progress,
            autocast=autocast,
            calibration_batches=batches.calibration,
        )
    except BaseException:
        if started_dir is not None:
            _discard_unstarted_run(run_dir, remove_folder=started_dir)
        raise
    wall = time.perf_counter() - started
    metrics: dict[str, Any] = {}
    if ctx.is_main:
        if "logits" not in last:  # no epoch ran in this call (a finished run, resumed)
            evaluate(model)
        metrics = _finish(
            cfg, model, history, test_split, train_split, run_dir, wall, last["logits"]
        )
    return TrainResult(run_dir if ctx.is_main else None, history, metrics, model)


def _finish(
    cfg: ImageTrainConfig,
    model: StagedClassifier,
    history: list[dict[str, float]],
    test_split: Split,
    train_split: Split,
    run_dir: Path,
    wall: float,
    logits: torch.Tensor,
) -> dict[str, Any]:
    """Final report of the test ``logits``, figures, then ``metrics.json`` (written last: the
    run is complete)."""
    result = report(test_split.labels, logits)
    if cfg.figures:
        from vision.figures import save_run_figures

        save_run_figures(
            run_dir,
            model,
            history,
            result,
            test_split,
            train_split,
            logits,
            RECIPES[cfg.recipe],
            cfg.seed,
        )
    metrics = {
        "model": cfg.model,
        "recipe": cfg.recipe,
        "epochs": cfg.epochs,
        "train_images": len(train_split),
        "test_images": len(test_split),
        "train_seconds_this_session": wall,
        "seconds_per_epoch": sum(h["train_seconds"] for h in history) / max(len(history), 1),
        **result.to_dict(),
    }
    write_json(run_dir / METRICS, metrics)
    return metrics


def _extra(cfg: ImageTrainConfig) -> dict[str, Any]:
    """What the checkpoint keeps besides weights: the run's options and the input transform."""
    kept = {k: v for k, v in asdict(cfg).items() if k not in ("show_progress", "out", "device")}
    return {
        "train_config": kept,
        "class_names": list(CLASS_NAMES),
        "normalization": {"mean": MEAN, "std": STD},
        "input_shape": [1, 28, 28],
    }


def _config_from_checkpoint(state: dict[str, Any], override: ImageTrainConfig) -> ImageTrainConfig:
    """The saved run's options; the epochs (to extend a run), data folder, device, figures and
    progress display may change."""
    saved = dict((state.get("extra") or {}).get("train_config") or {})
    if not saved:
        raise CheckpointError("the checkpoint does not record how its run was trained")
    known = {f for f in ImageTrainConfig.__dataclass_fields__}
    cfg = ImageTrainConfig(**{k: v for k, v in saved.items() if k in known})
    return replace(
        cfg,
        epochs=cfg.epochs if override.epochs is None else override.epochs,
        data_dir=override.data_dir or cfg.data_dir,
        device=override.device,
        show_progress=override.show_progress,
        figures=override.figures,
    )


def _share_run_dir(run_dir: Path, ctx: DistContext) -> Path:
    """Rank 0's choice of run directory, told to every rank (timestamps may differ)."""
    if not ctx.enabled:
        return run_dir
    holder = [str(run_dir)]
    dist.broadcast_object_list(holder, src=0)
    return Path(holder[0])


def _run_config(cfg: ImageTrainConfig) -> dict[str, Any]:
    """What ``run.json`` holds: the kind and the run's options."""
    return {"kind": KIND, **_extra(cfg)["train_config"]}


def _start_run_dir(run_dir: Path, cfg: ImageTrainConfig) -> bool:
    """Create the run directory and write ``run.json``; returns whether the folder is new."""
    created = not run_dir.exists()
    try:
        run_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise WriteError(f"cannot write to {run_dir}: {write_failure(exc)}") from exc
    try:
        write_json(run_dir / RUN_CONFIG, _run_config(cfg))
    except TelecnnError:
        if created:
            shutil.rmtree(run_dir, ignore_errors=True)
        raise
    return created


def _discard_unstarted_run(run_dir: Path, remove_folder: bool) -> None:
    """After a failure before the first checkpoint, remove what this run wrote (and the folder,
    when this run created it), so nothing is left that looks like a run."""
    if (run_dir / CHECKPOINT_NAME).exists():
        return  # resumable: keep it
    if remove_folder:
        shutil.rmtree(run_dir, ignore_errors=True)
    else:
        (run_dir / RUN_CONFIG).unlink(missing_ok=True)
