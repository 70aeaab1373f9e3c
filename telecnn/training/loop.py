"""The project's one training loop, used by the image classifier and the telemetry detector.

A straight path: for each epoch, train over the batches the caller yields, evaluate, record the
history, and write an atomic checkpoint holding everything needed to resume. Under ``torchrun``
the model is wrapped in DistributedDataParallel, metrics are summed over ranks, and only rank 0
writes. SIGTERM or SIGINT stops a run at the next batch boundary with a mid-epoch checkpoint
(:mod:`telecnn.training.stopping`); resuming it replays the epoch's batches up to there and
ends with the weights the run would have had uninterrupted.
"""

from __future__ import annotations

import sys
import time
import warnings
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from torch import nn
from tqdm.auto import tqdm

from telecnn.atomic import write_json
from telecnn.errors import CheckpointError, TelecnnError, TrainingStopped
from telecnn.progress import progress_bar
from telecnn.training.batch_norm import recalibrate_batch_norm
from telecnn.training.checkpoint import CHECKPOINT_NAME, HISTORY_NAME, save_checkpoint
from telecnn.training.distributed import DistContext, all_reduce_sum, barrier, broadcast_buffers
from telecnn.training.stopping import (
    StopSignals,
    agreed,
    gathered_rng_states,
    set_rng_states,
    signal_name,
)

#: The progress bar shows the batch loss every this many steps (reading it syncs the device).
LOSS_EVERY = 10
#: Under torchrun on GPUs, the ranks agree on a stop request every this many steps.
STOP_EVERY = 10

Batch = tuple[torch.Tensor, torch.Tensor]
LossFn = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]
CorrectFn = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]
Evaluate = Callable[[nn.Module], dict[str, float]]
CalibrationBatches = Callable[[int], Iterable[torch.Tensor]]


@dataclass
class RunSpec:
    """What a checkpoint records about a run besides the weights."""

    kind: str
    model_name: str
    model_config: dict[str, Any]
    run_dir: Path | None = None
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class Progress:
    """Where a run stands: the next epoch to train and the history so far; a run stopped in
    mid-epoch also has how many of that epoch's batches it trained, their loss totals and
    every rank's random generators at that point."""

    start_epoch: int = 0
    history: list[dict[str, float]] = field(default_factory=list)
    batches_done: int = 0
    totals: list[float] | None = None
    rng: list[dict[str, Any]] | None = None


def restore(
    state: dict[str, Any],
    spec: RunSpec,
    model: nn.Module,
    optimizer: torch.optim.Optimizer,
    scheduler: Any | None,
    source: str | Path = "the checkpoint",
) -> Progress:
    """Continue a run from its loaded checkpoint ``state``; return where to continue.

    Weights and the optimizer's moments come from the checkpoint. The schedule is the
    caller's, built for the epochs to reach now, replayed to the step the run stopped at: the
    same learning rates when the plan is unchanged, and a re-planned rest of the schedule
    when a run is extended. ``source`` names the checkpoint in errors.
    """
    if state.get("model_name") != spec.model_name or state.get("model_config") != spec.model_config:
        raise CheckpointError(
            f"{source} was trained as {state.get('model_name')} {state.get('model_config')}, "
            f"not {spec.model_name} {spec.model_config}"
        )
    if "optimizer_state" not in state:
        raise CheckpointError(f"{source} holds weights only and cannot be resumed")
    model.load_state_dict(state["model_state"])
    saved_schedule = state.get("scheduler_state")
    planned = None
    if scheduler is not None and saved_schedule is not None:
        planned = _replay_schedule(scheduler, optimizer, int(saved_schedule["last_epoch"]))
    optimizer.load_state_dict(state["optimizer_state"])
    if planned is not None:
        for group, values in zip(optimizer.param_groups, planned, strict=True):
            group.update(values)
    mid = state.get("mid_epoch") or {}
    return Progress(
        int(state["epoch"]),
        list(state.get("history", [])),
        int(mid.get("batches_done", 0)),
        mid.get("totals"),
        mid.get("rng"),
    )


def _replay_schedule(
    scheduler: Any, optimizer: torch.optim.Optimizer, steps: int
) -> list[dict[str, Any]]:
    """Step a fresh ``scheduler`` ``steps`` times; return the hyperparameters (learning rate,
    momentum...) it leaves in each parameter group."""
    with warnings.catch_warnings():  # "lr_scheduler.step() before optimizer.step()": intended
        warnings.simplefilter("ignore", UserWarning)
        for _ in range(steps - scheduler.last_epoch):
            scheduler.step()
    return [{k: v for k, v in g.items() if k != "params"} for g in optimizer.param_groups]


def fit(
    model: nn.Module,
    optimizer: torch.optim.Optimizer,
    train_batches: Callable[[int], Iterable[Batch]],
    loss_fn: LossFn,
    epochs: int,
    *,
    scheduler: Any | None = None,
    steps_per_epoch: int | None = None,
    evaluate: Evaluate | None = None,
    correct_fn: CorrectFn | None = None,
    spec: RunSpec | None = None,
    progress: Progress | None = None,
    ctx: DistContext | None = None,
    step_scheduler_per_batch: bool = False,
    show_progress: bool = True,
    autocast: torch.dtype | None = None,
    calibration_batches: CalibrationBatches | None = None,
) -> list[dict[str, float]]:
    """Train ``model`` until ``epochs`` epochs are done and return the per-epoch history.

    ``train_batches(epoch)`` yields ``(inputs, targets)`` already on the model's device (and,
    under DDP, already this rank's shard). ``correct_fn(outputs, targets)`` returns how many
    samples of the batch were right, giving ``train_acc``. ``evaluate(model)`` returns held-out
    metrics (``test_loss``, ``test_acc``, ...) added to each epoch's record. ``autocast`` (e.g.
    ``torch.bfloat16``) runs each step's forward pass and loss under :func:`torch.autocast`;
    ``None`` trains in float32. ``evaluate`` always runs outside it.
    ``calibration_batches(epoch)`` yields inputs over which every batch-norm layer's running
    statistics are re-estimated after each epoch's training, under the final weights (see
    :mod:`telecnn.training.batch_norm`); ``None`` keeps the layers' own running averages.
    """
    if epochs < 1:
        raise TelecnnError(f"epochs must be at least 1, got {epochs}")
    ctx = ctx or DistContext()
    progress = progress or Progress()
    net: nn.Module = model
    if ctx.enabled:
        device_ids = [ctx.local_rank] if next(model.parameters()).is_cuda else None
        net = torch.nn.parallel.DistributedDataParallel(model, device_ids=device_ids)
    run = _Run(
        model=model,
        net=net,
        optimizer=optimizer,
        train_batches=train_batches,
        loss_fn=loss_fn,
        epochs=epochs,
        scheduler=scheduler,
        steps_per_epoch=steps_per_epoch,
        evaluate=evaluate,
        correct_fn=correct_fn,
        spec=spec,
        ctx=ctx,
        step_scheduler_per_batch=step_scheduler_per_batch,
        show_progress=show_progress,
        autocast=autocast,
        calibration_batches=calibration_batches,
        history=list(progress.history),
    )
    with StopSignals() as stop:
        for epoch in range(progress.start_epoch, epochs):
            resumed = progress if epoch == progress.start_epoch and progress.rng else None
            run.epoch(epoch, stop, resumed)
            if epoch + 1 < epochs and agreed(stop.received is not None, ctx, run.device):
                raise run.stopped(stop, f"after epoch {epoch + 1}")
    return run.history


@dataclass
class _Run:
    """One :func:`fit` call's arguments (as named there) and its history so far."""

    model: nn.Module
    net: nn.Module
    optimizer: torch.optim.Optimizer
    train_batches: Callable[[int], Iterable[Batch]]
    loss_fn: LossFn
    epochs: int
    scheduler: Any | None
    steps_per_epoch: int | None
    evaluate: Evaluate | None
    correct_fn: CorrectFn | None
    spec: RunSpec | None
    ctx: DistContext
    step_scheduler_per_batch: bool
    show_progress: bool
    autocast: torch.dtype | None
    calibration_batches: CalibrationBatches | None
    history: list[dict[str, float]]

    @property
    def device(self) -> torch.device:
        return next(self.model.parameters()).device

    @property
    def writes(self) -> bool:
        return self.ctx.is_main and self.spec is not None and self.spec.run_dir is not None

    def epoch(self, epoch: int, stop: StopSignals, resumed: Progress | None) -> None:
        """Train, calibrate, evaluate and checkpoint one epoch. A stop request between
        batches writes a mid-epoch checkpoint and raises :class:`TrainingStopped`;
        ``resumed``: the progress of a run stopped in this epoch (its batches so far are
        replayed, not trained)."""
        started = time.perf_counter()
        self.net.train()
        bar = progress_bar(
            self.train_batches(epoch),
            what=f"epoch {epoch + 1}/{self.epochs}",
            unit="batch",
            total=self.steps_per_epoch,
            show=self.show_progress and self.ctx.is_main,
        )
        per_batch = self.scheduler if self.step_scheduler_per_batch else None
        totals, done, stopped = _train_batches(
            self.net,
            bar,
            self.optimizer,
            self.loss_fn,
            per_batch,
            self.correct_fn,
            self.autocast,
            stop=stop,
            ctx=self.ctx,
            resumed=resumed,
        )
        bar.close()
        if stopped:
            self._save_mid_epoch(epoch, done, totals)
            raise self.stopped(stop, f"in epoch {epoch + 1}, after {done} batches")
        if self.scheduler is not None and not self.step_scheduler_per_batch:
            self.scheduler.step()
        if self.calibration_batches is not None:
            recalibrate_batch_norm(self.model, self.calibration_batches(epoch))
        totals = all_reduce_sum(totals, self.ctx)
        broadcast_buffers(self.model, self.ctx)
        seconds = time.perf_counter() - started
        record = _epoch_record(epoch, totals, self.optimizer, seconds, self.correct_fn is not None)
        if self.evaluate is not None and self.ctx.is_main:
            record.update(self.evaluate(self.model))
        self.history.append(record)
        if self.ctx.is_main:
            tqdm.write(_format_record(record, self.epochs), file=sys.stderr)
        if self.writes:
            assert self.spec is not None
            _write_epoch(
                self.spec, self.model, self.optimizer, self.scheduler, epoch + 1, self.history
            )
        barrier(self.ctx)

    def _save_mid_epoch(self, epoch: int, done: int, totals: torch.Tensor) -> None:
        """The checkpoint of a run stopped after ``done`` batches of ``epoch`` (rank 0)."""
        states = gathered_rng_states(self.ctx)  # every rank takes part
        if self.writes:
            assert self.spec is not None
            mid = {"batches_done": done, "totals": totals.tolist(), "rng": states}
            _write_epoch(
                self.spec, self.model, self.optimizer, self.scheduler, epoch, self.history, mid
            )
        barrier(self.ctx)

    def stopped(self, stop: StopSignals, where: str) -> TrainingStopped:
        """The exception that ends a run stopped by ``stop``'s signal, once it is saved."""
        name = signal_name(stop.received)
        run_dir = None if self.spec is None else self.spec.run_dir
        saved = f"; checkpoint saved in {run_dir}" if run_dir is not None else ""
        return TrainingStopped(f"stopped by {name} {where}{saved}", stop.exit_code, run_dir)


def _train_batches(
    net: nn.Module,
    batches: Iterable[Batch],
    optimizer: torch.optim.Optimizer,
    loss_fn: LossFn,
    scheduler: Any | None,
    correct_fn: CorrectFn | None,
    autocast: torch.dtype | None,
    stop: StopSignals | None = None,
    ctx: DistContext | None = None,
    resumed: Progress | None = None,
) -> tuple[torch.Tensor, int, bool]:
    """One epoch's optimiser steps (``scheduler`` stepped per batch when given); returns the
    loss sum, correct count and sample count ``(3,)`` in float64 on the model's device, how
    many batches were trained and whether a stop request (checked between batches, agreed by
    every rank) ended the epoch early. ``resumed``: skip the batches a stopped run trained
    (their generators replay the same draws), then put back the random generators it saved."""
    ctx = ctx or DistContext()
    device = next(net.parameters()).device
    totals = torch.zeros(3, dtype=torch.float64, device=device)
    skip = 0 if resumed is None else resumed.batches_done
    if resumed is not None and resumed.totals is not None:
        totals += torch.tensor(resumed.totals, dtype=torch.float64, device=device)
    show = isinstance(batches, tqdm) and not batches.disable
    step = -1
    for step, (inputs, targets) in enumerate(batches):
        if step < skip:
            continue
        if step == skip and resumed is not None and resumed.rng is not None:
            set_rng_states(resumed.rng[ctx.rank if ctx.rank < len(resumed.rng) else 0])
        # a stop is checked before every batch; on GPUs under torchrun every STOP_EVERY, as
        # agreeing there costs a collective and a device sync
        every = STOP_EVERY if ctx.enabled and device.type == "cuda" else 1
        check = stop is not None and step % every == 0
        if check and agreed(stop.received is not None, ctx, device):
            return totals, step, True
        optimizer.zero_grad(set_to_none=True)
        with torch.autocast(device.type, dtype=autocast, enabled=autocast is not None):
            outputs = net(inputs)
            loss = loss_fn(outputs, targets)
        loss.backward()
        optimizer.step()
        if scheduler is not None:
            scheduler.step()
        with torch.no_grad():
            n = inputs.shape[0]
            totals[0] += loss.detach().double() * n
            totals[2] += n
            if correct_fn is not None:
                totals[1] += correct_fn(outputs.detach(), targets).double()
        if show and step % LOSS_EVERY == 0:  # .item() waits for the GPU
            batches.set_postfix(loss=f"{loss.item():.4f}", refresh=False)
    return totals, step + 1, False


def _epoch_record(
    epoch: int,
    totals: torch.Tensor,
    optimizer: torch.optim.Optimizer,
    seconds: float,
    accuracy: bool,
) -> dict[str, float]:
    """The history record of a finished epoch from its (all-reduced) totals."""
    samples = max(totals[2].item(), 1.0)
    record: dict[str, float] = {
        "epoch": epoch + 1,
        "train_loss": totals[0].item() / samples,
        "lr": optimizer.param_groups[0]["lr"],
        "train_seconds": seconds,
        "samples_per_second": samples / seconds,
    }
    if accuracy:
        record["train_acc"] = totals[1].item() / samples
    return record


def _write_epoch(
    spec: RunSpec,
    model: nn.Module,
    optimizer: torch.optim.Optimizer,
    scheduler: Any | None,
    epoch: int,
    history: list[dict[str, float]],
    mid_epoch: dict[str, Any] | None = None,
) -> None:
    """Checkpoint and history after ``epoch`` finished epochs, both written atomically; a run
    stopped in the next epoch also stores how far it got (``mid_epoch``)."""
    assert spec.run_dir is not None
    save_checkpoint(
        spec.run_dir / CHECKPOINT_NAME,
        {
            "kind": spec.kind,
            "model_name": spec.model_name,
            "model_config": spec.model_config,
            "model_state": model.state_dict(),
            "optimizer_state": optimizer.state_dict(),
            "scheduler_state": None if scheduler is None else scheduler.state_dict(),
            "epoch": epoch,
            "history": history,
            "extra": spec.extra,
            "mid_epoch": mid_epoch,
        },
    )
    write_json(spec.run_dir / HISTORY_NAME, history)


def _format_record(record: dict[str, float], epochs: int) -> str:
    """One readable line per epoch."""
    parts = [f"epoch {int(record['epoch']):>3}/{epochs}"]
    for key in ("train_loss", "train_acc", "test_loss", "test_acc"):
        if key in record:
            value = record[key]
            parts.append(
                f"{key} {value * 100:.2f}%" if key.endswith("acc") else f"{key} {value:.4f}"
            )
    if record.get("test_quick"):
        parts.append("(test: a quick look)")
    parts.append(f"{record['train_seconds']:.1f}s")
    return "  ".join(parts)
