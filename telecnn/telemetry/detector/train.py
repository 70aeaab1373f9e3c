"""Training the event CNN with the project's one loop (:func:`telecnn.training.fit`).

Data: simulated laps, some re-fed at another rate (:mod:`.training_laps`), plus any real laps
given, each labelled with its reference events (:mod:`telecnn.telemetry.events.labels`) and laid on
the grid once (:mod:`.examples`); batches are random crops, and channel dropout inside the
model teaches it channel subsets. After each epoch the thresholds are tuned on held-out
simulated laps (:mod:`.tuning`) and the model is scored on them (:mod:`.scoring`).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import ExitStack
from pathlib import Path

import numpy as np
import torch

from telecnn.device import pick_device
from telecnn.telemetry.detector.config import DetectorTrainConfig
from telecnn.telemetry.detector.detector import Detector
from telecnn.telemetry.detector.examples import Examples, batches, make_examples
from telecnn.telemetry.detector.features import Normalisation
from telecnn.telemetry.detector.loading import KIND, MODEL_NAME
from telecnn.telemetry.detector.loss import masked_bce
from telecnn.telemetry.detector.model import build_model
from telecnn.telemetry.detector.postprocess import DEFAULT_THRESHOLDS
from telecnn.telemetry.detector.scoring import evaluate_laps, f1_by_type
from telecnn.telemetry.detector.training_laps import (
    moving_stretches,
    split_real,
    training_laps,
    validation_laps,
)
from telecnn.telemetry.detector.tuning import SUBSET_TYPES, epoch_thresholds
from telecnn.telemetry.laps.schema import Lap
from telecnn.training import (
    Progress,
    RunSpec,
    fit,
    hold_run_folder,
    init_distributed,
    plan_run,
    restore,
    shutdown,
)
from telecnn.training.schedule import warmup_cosine


def train_detector(
    config: DetectorTrainConfig,
    run_dir: str | Path | None = None,
    real_laps: Sequence[Lap] = (),
    resume_run: bool = False,
    show_progress: bool = True,
    force: bool = False,
) -> tuple[Detector, list[dict[str, float]]]:
    """Train a detector; with ``run_dir`` write an atomic checkpoint every epoch.

    The run folder follows the trainers' one rule (:func:`telecnn.training.plan_run`): a new
    run is refused where one exists unless ``force``; ``resume_run`` continues it (a larger
    ``config.epochs`` extends a finished run). Under ``torchrun`` each rank trains on its share
    of the laps and rank 0 writes.
    """
    torch.manual_seed(config.seed)
    ctx, device = init_distributed(pick_device(config.device))
    held = ExitStack()
    try:
        real_train, real_val = split_real(real_laps, config.real_val_every)
        # every rank gets the same number of laps (so the same number of steps: DDP needs it)
        n_train = config.sim_laps + len(moving_stretches(real_train))
        mine = list(range(ctx.rank, n_train - n_train % ctx.world_size, ctx.world_size))
        steps = max(1, -(-len(mine) // config.batch_size))
        run_folder = Path(run_dir) if run_dir else None
        # the run folder before any lap: a bad resume fails fast
        progress, plan = Progress(), None
        held.enter_context(hold_run_folder(run_folder, create=not resume_run))  # rank 0's
        if run_folder is not None or resume_run:
            plan = plan_run(run_folder or "", resume=resume_run, force=force, kind=KIND)
            plan.check_epochs(config.epochs)
            if ctx.is_main:
                plan.discard_previous()
        saved = plan.state["extra"] if plan is not None and plan.state is not None else {}
        # the normalisation first: the model's level rows are in its units
        examples, sim_val, norm = _data(config, real_train, mine, saved.get("normalisation"))
        val_laps = sim_val + real_val
        model_config = config.build_model_config(norm)
        model = build_model(model_config).to(device)
        optimizer = torch.optim.AdamW(
            model.parameters(), lr=config.lr, weight_decay=config.weight_decay
        )
        scheduler = warmup_cosine(optimizer, total_steps=steps * config.epochs)
        spec = RunSpec(KIND, MODEL_NAME, model_config, run_folder)
        if plan is not None and plan.state is not None:
            progress = restore(plan.state, spec, model, optimizer, scheduler, plan.checkpoint)
        thresholds = {**DEFAULT_THRESHOLDS, **saved.get("thresholds", {})}
        detector = Detector(model, norm, config.hz, thresholds, device)
        spec.extra.update(detector.extra())

        def train_batches(epoch: int) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
            rng = np.random.default_rng([config.seed, epoch, ctx.rank])
            return batches(examples, config.batch_size, config.crop, rng, device)

        card = model_card(config, real_train, real_val)

        def tune_and_score(net: torch.nn.Module) -> dict[str, float]:
            was = net.training
            detector.thresholds, detector.channel_thresholds = epoch_thresholds(detector, val_laps)
            scores = f1_by_type(evaluate_laps(sim_val, detector))
            record = {f"val_f1_{k}": v for k, v in scores.items() if not np.isnan(v)}
            card["validation"] = {"simulated": _rounded(scores)}
            if real_val:
                real = f1_by_type(evaluate_laps(real_val, detector))
                record |= {f"real_f1_{k}": v for k, v in real.items() if not np.isnan(v)}
                card["validation"]["real"] = _rounded(real)
                card["validation"] |= feed_scores(detector, real_val)
            detector.card = card
            spec.extra.update(detector.extra())
            net.train(was)
            return record

        history = fit(
            model,
            optimizer,
            train_batches,
            masked_bce,
            config.epochs,
            scheduler=scheduler,
            steps_per_epoch=steps,
            evaluate=tune_and_score,
            spec=spec,
            progress=progress,
            ctx=ctx,
            step_scheduler_per_batch=True,
            show_progress=show_progress,
        )
        model.eval()
        return detector, history
    finally:
        held.close()
        shutdown(ctx)


def model_card(
    config: DetectorTrainConfig, real_train: Sequence[Lap], real_val: Sequence[Lap]
) -> dict:
    """What a run was trained on, as plain values (its scores on its held-out laps are added
    each epoch): stored in the checkpoint, written beside it, printed by ``eval-events``."""
    sources: dict[str, int] = {}
    for lap in real_train:
        where = " ".join(str(x) for x in (lap.meta.year, lap.meta.event, lap.meta.session) if x)
        name = where or lap.meta.source.removeprefix("file:")
        sources[name] = sources.get(name, 0) + 1
    return {
        "simulated_laps": config.sim_laps,
        "eras": list(config.eras),
        "circuits": list(config.circuits) if config.circuits else "all",
        "real_laps": len(real_train),
        "real_sources": sources,
        "real_held_out": len(real_val),
        "channels": list(config.channels),
        "epochs": config.epochs,
        "seed": config.seed,
        "labels": "real laps: the rules on all their channels; simulated laps: the rules, and "
        "the simulator's truth for wheelspin and lock-ups",
    }


def feed_scores(detector: Detector, laps: Sequence[Lap]) -> dict[str, dict[str, float]]:
    """F1 on ``laps`` through each reduced feed the detector reads (:data:`SUBSET_TYPES`), of
    the types tuned for it: ``{"real: Speed": {"braking": ...}, ...}``."""
    out = {}
    for feed, types in SUBSET_TYPES.items():
        if set(feed) < set(detector.channels):
            scores = f1_by_type(evaluate_laps(laps, detector, feed))
            out[f"real: {','.join(feed)}"] = _rounded({t: scores[t] for t in types})
    return out


def _rounded(scores: dict[str, float]) -> dict[str, float]:
    return {k: round(float(v), 3) for k, v in scores.items() if not np.isnan(v)}


def _data(
    config: DetectorTrainConfig,
    real_laps: Sequence[Lap],
    mine: Sequence[int],
    saved_norm: dict | None,
) -> tuple[Examples, list[Lap], Normalisation]:
    """This rank's training examples (laps ``mine``), the validation laps and the
    normalisation (a resumed run's own, else fitted on the first 400 training laps)."""
    train_laps = training_laps(config, real_laps)
    val_laps = validation_laps(config)
    if saved_norm is not None:
        norm = Normalisation.from_dict(saved_norm)
    else:
        norm = Normalisation.fit([lap.data for lap in train_laps[:400]], config.channels)
    return make_examples([train_laps[i] for i in mine], norm, config.hz), val_laps, norm
