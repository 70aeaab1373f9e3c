"""Training the event CNN with the project's one loop (:func:`telecnn.training.fit`).

Data: simulated laps, each re-fed at a random rate with timing jitter (3.3-8.5 Hz, integer or
float speed) so the model meets both real feeds, plus any real laps given. Labels: the rules
applied to each lap's own channels (exact on simulated channels, and how real laps are
labelled) and, for simulated laps, the simulator's wheelspin and lock-up truth. Real laps
carry no wheelspin/lock-up label (those targets get zero weight). Batches are random crops
of ``crop`` grid samples; channel dropout inside the model teaches it channel subsets.
"""

from __future__ import annotations

import math
import sys
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import torch
import torch.nn.functional as F
from tqdm.auto import tqdm

from telecnn.errors import TelecnnError
from telecnn.telemetry.detector.detect import KIND, Detector
from telecnn.telemetry.detector.evaluate import (
    SPAN,
    TypeScore,
    add_matches,
    median_interval,
    score_lap,
)
from telecnn.telemetry.detector.features import (
    GRID_HZ,
    Normalisation,
    grid_targets,
    known_channels,
    lap_inputs,
    lap_times,
    sample_labels,
)
from telecnn.telemetry.detector.model import MODEL_NAME, build_model
from telecnn.telemetry.detector.postprocess import DEFAULT_THRESHOLDS
from telecnn.telemetry.events import events_frame, run_columns
from telecnn.telemetry.grid import previous_index
from telecnn.telemetry.rules import rule_events
from telecnn.telemetry.schema import CHANNEL_KIND, CHANNELS, EVENT_TYPES, SIM_ONLY_EVENTS, Lap
from telecnn.training import (
    Progress,
    RunSpec,
    fit,
    init_distributed,
    load_checkpoint,
    restore,
    shutdown,
)

SIM_ONLY_ROWS = [EVENT_TYPES.index(e) for e in sorted(SIM_ONLY_EVENTS)]


@dataclass
class DetectorTrainConfig:
    """Everything a detector training run depends on (all of it reproducible from ``seed``)."""

    sim_laps: int = 2000
    circuits: tuple[str, ...] | None = None
    channels: tuple[str, ...] = CHANNELS
    epochs: int = 8
    batch_size: int = 32
    crop: int = 384
    lr: float = 3e-3
    weight_decay: float = 1e-4
    width: int = 32
    dilations: tuple[int, ...] = (1, 2, 4, 8, 16, 1)
    hz: float = GRID_HZ
    rate_range: tuple[float, float] = (3.3, 8.5)
    refeed_share: float = 0.3
    channel_dropout: bool = True
    solo_share: float = 0.3  # share of training laps the model sees through Speed alone
    val_laps: int = 144  # held-out simulated laps (at most a tenth of sim_laps, at least 8)
    seed: int = 0
    device: str = "auto"  # the notebook's rule: CUDA when present, else CPU
    model_config: dict[str, Any] = field(default_factory=dict)

    def build_model_config(self) -> dict[str, Any]:
        return {
            "in_channels": len(self.channels),
            "num_events": len(EVENT_TYPES),
            "width": self.width,
            "dilations": list(self.dilations),
            "kernel_size": 3,
            "stem_kernel": 5,
            "channel_dropout": self.channel_dropout and len(self.channels) > 1,
            "solo_share": self.solo_share,
        }


# --- laps and labels -----------------------------------------------------------------------


def simulated_laps(n: int, circuits: Sequence[str] | None, seed: int) -> list[Lap]:
    """``n`` simulated laps spread over ``circuits`` (default: every built-in one) and both feeds
    (fastf1 car data and merged telemetry), qualifying and race laps mixed; by seed."""
    from telecnn.telemetry import simulate as sim

    names = [sim.get_circuit(c).name for c in circuits] if circuits else list(sim.CIRCUITS)
    jobs = [(name, feed) for name in names for feed in sim.FEEDS]
    laps: list[Lap] = []
    per = [n // len(jobs) + (i < n % len(jobs)) for i in range(len(jobs))]
    for i, ((name, feed), count) in enumerate(zip(jobs, per, strict=True)):
        if count:
            laps += sim.simulate_laps(name, count, seed=seed * 1009 + i, feed=feed)
    order = np.random.default_rng(seed).permutation(len(laps))
    return [laps[i] for i in order]


def refeed(lap: Lap, rng: np.random.Generator, rate_range: tuple[float, float]) -> Lap:
    """The lap as a feed of another rate would log it: random rate, jittered intervals.

    Continuous channels are interpolated, discrete ones hold their previous value; half the
    time ``Speed`` and ``RPM`` are rounded to integers as in fastf1's car data. The truth
    events of the simulator are carried over by the previous-sample rule.
    """
    data = lap.data
    t = data["Time"].to_numpy(dtype=float)
    rate = rng.uniform(*rate_range)
    steps = (1.0 / rate) * rng.uniform(0.6, 1.4, size=int((t[-1] - t[0]) * rate * 1.6) + 8)
    new_t = t[0] + rng.uniform(0, 1.0 / rate) + np.concatenate([[0.0], np.cumsum(steps)])
    new_t = np.round(new_t[new_t <= t[-1]], 3)
    new_t = np.unique(new_t)
    prev = previous_index(t, new_t)
    out = {"Time": new_t}
    integer = rng.random() < 0.5
    for name in data.columns:
        if name == "Time":
            continue
        values = data[name].to_numpy()
        if CHANNEL_KIND.get(name, "continuous") == "continuous":
            v = np.interp(new_t, t, values.astype(float))
            if integer and name in ("Speed", "RPM"):
                v = np.round(v)
            out[name] = v
        else:
            out[name] = values[prev]
    truth = None
    if lap.truth is not None and len(lap.truth):
        labels = sample_labels(t, lap.truth)[:, prev]
        truth = labels_to_events(labels, new_t)
    return Lap(pd.DataFrame(out), lap.meta, truth)


def augment(lap: Lap, rng: np.random.Generator, config: DetectorTrainConfig) -> Lap:
    """A simulated lap, sometimes re-fed at a random rate. Trail braking, the mid-corner speed
    minimum and the speed sensor's lag and smoothing come from the simulator's physics."""
    if rng.random() < config.refeed_share:
        lap = refeed(lap, rng, config.rate_range)
    return lap


def labels_to_events(labels: np.ndarray, times: np.ndarray) -> pd.DataFrame:
    """Interval events of the simulator-only types from per-sample labels ``(E, n)``."""
    return events_frame(
        *[run_columns(labels[k] > 0, times, None, EVENT_TYPES[k]) for k in SIM_ONLY_ROWS]
    )


def lap_labels(lap: Lap, simulated: bool) -> tuple[np.ndarray, np.ndarray]:
    """Per-sample labels ``(E, n)`` and per-type weights ``(E,)`` of a lap.

    The rules give the channel-defined types; the simulator's truth gives wheelspin and
    lock-up (weight 0 on real laps, where nothing labels them).
    """
    times = lap_times(lap.data)
    labels = sample_labels(times, rule_events(lap.data))
    weights = np.ones(len(EVENT_TYPES), dtype=np.float32)
    for k in SIM_ONLY_ROWS:
        labels[k] = 0.0
        if not simulated:
            weights[k] = 0.0
    if simulated and lap.truth is not None and len(lap.truth):
        truth = lap.truth[lap.truth["event"].isin(SIM_ONLY_EVENTS)]
        sim_labels = sample_labels(times, truth)
        labels[SIM_ONLY_ROWS] = sim_labels[SIM_ONLY_ROWS]
    return labels, weights


@dataclass
class Examples:
    """Every training lap on the grid, laid end to end: inputs ``(2C, T)`` and targets followed
    by per-type weights ``(2E, T)``; lap ``i`` spans ``offsets[i] : offsets[i] + lengths[i]``."""

    x: np.ndarray
    y: np.ndarray
    offsets: np.ndarray
    lengths: np.ndarray

    def __len__(self) -> int:
        return len(self.lengths)


def make_examples(
    laps: Sequence[Lap], simulated: Sequence[bool], norm: Normalisation, hz: float
) -> Examples:
    """Grid inputs, targets and weights of every lap (computed once, before training)."""
    xs, ys = [], []
    for lap, sim in zip(laps, simulated, strict=True):
        labels, weights = lap_labels(lap, sim)
        x, grid = lap_inputs(lap.data, norm, hz)
        y = grid_targets(lap_times(lap.data), labels, grid, hz)
        xs.append(x.astype(np.float32, copy=False))
        ys.append(np.vstack([y, np.repeat(weights[:, None], y.shape[1], axis=1)]))
    lengths = np.array([x.shape[1] for x in xs], dtype=np.int64)
    offsets = np.concatenate(([0], np.cumsum(lengths)[:-1])).astype(np.int64)
    return Examples(
        np.concatenate(xs, axis=1), np.concatenate(ys, axis=1).astype(np.float32), offsets, lengths
    )


def batches(
    examples: Examples,
    batch_size: int,
    crop: int,
    rng: np.random.Generator,
    device: torch.device,
) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
    """Random crops of ``crop`` grid samples; targets stacked over weights ``(N, 2E, crop)``.

    A crop may hang over either end of its lap by up to a quarter of its length; there the
    input holds the lap's edge sample (as :func:`~telecnn.telemetry.detector.features.pad_to`
    pads laps in batched detection) and the targets weigh nothing. Each batch is one indexed
    gather from the laps laid end to end (no per-lap Python).
    """
    order = rng.permutation(len(examples))
    over = crop // 4
    steps = np.arange(crop)
    for begin in range(0, len(order), batch_size):
        idx = order[begin : begin + batch_size]
        lengths = examples.lengths[idx]
        starts = rng.integers(-over, np.maximum(1 - over, lengths - crop + over + 1))
        pos = starts[:, None] + steps  # (B, crop): positions within each lap
        inside = ((pos >= 0) & (pos < lengths[:, None]))[None]
        flat = examples.offsets[idx][:, None] + np.clip(pos, 0, lengths[:, None] - 1)
        x = examples.x[:, flat].transpose(1, 0, 2)  # past an end: the edge sample, held
        y = np.where(inside, examples.y[:, flat], np.float32(0)).transpose(1, 0, 2)
        yield (
            torch.from_numpy(np.ascontiguousarray(x)).to(device),
            torch.from_numpy(np.ascontiguousarray(y)).to(device),
        )


#: Extra weight of positive samples per type: the rare point and hidden events need it to be
#: learnt at all; interval types stay unweighted so their probabilities keep calibrated edges.
POS_WEIGHT = {"upshift": 5.0, "downshift": 5.0, "wheelspin": 3.0, "lockup": 3.0}


def masked_bce(logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    """Binary cross-entropy over the samples and types whose weight is non-zero."""
    e = logits.shape[1]
    y, w = targets[:, :e], targets[:, e:]
    pos = torch.tensor(
        [POS_WEIGHT.get(name, 1.0) for name in EVENT_TYPES[:e]], device=logits.device
    ).view(1, e, 1)
    loss = F.binary_cross_entropy_with_logits(logits, y, weight=w, reduction="sum", pos_weight=pos)
    return loss / w.sum().clamp_min(1.0)


# --- training ------------------------------------------------------------------------------


def refed_laps(
    config: DetectorTrainConfig,
    count: int,
    seed: int,
    rng: np.random.Generator,
    show: str | None = None,
) -> list[Lap]:
    """``count`` simulated laps of seed ``seed``, each re-fed (:func:`augment`) with ``rng``;
    ``show`` names a progress bar."""
    sim = simulated_laps(count, config.circuits, seed)
    bar = tqdm(sim, desc=show, unit="lap", file=sys.stderr, leave=False, disable=show is None)
    return [augment(lap, rng, config) for lap in bar]


def prepare_laps(
    config: DetectorTrainConfig, real_laps: Sequence[Lap] = ()
) -> tuple[list[Lap], list[bool]]:
    """Re-fed simulated laps followed by the real laps, with their simulated flags."""
    rng = np.random.default_rng(config.seed)
    laps = refed_laps(config, config.sim_laps, config.seed, rng, show="preparing laps")
    return laps + list(real_laps), [True] * len(laps) + [False] * len(real_laps)


#: Offset of the validation laps' seed: their simulator streams never meet the training ones.
VAL_SEED_OFFSET = 1_000_000


def validation_laps(config: DetectorTrainConfig) -> list[Lap]:
    """Held-out simulated laps, re-fed like the training laps, from a seed stream of their own:
    what thresholds are tuned on (enough of them that the rare hidden types count) and each
    epoch is scored on. Never real laps. A short run gets fewer: a tenth of its training laps."""
    rng = np.random.default_rng([config.seed, VAL_SEED_OFFSET])
    count = min(config.val_laps, max(8, config.sim_laps // 10))
    return refed_laps(config, count, config.seed + VAL_SEED_OFFSET, rng)


def warmup_cosine(
    optimizer: torch.optim.Optimizer, total_steps: int, warmup: float = 0.1
) -> torch.optim.lr_scheduler.LambdaLR:
    """Linear warm-up then cosine decay to 5% over ``total_steps`` (steps past it stay at 5%,
    so a resumed run with more epochs simply re-plans the remaining decay)."""
    ramp = max(1, int(total_steps * warmup))

    def factor(step: int) -> float:
        if step < ramp:
            return (step + 1) / ramp
        done = min(1.0, (step - ramp) / max(1, total_steps - ramp))
        return 0.05 + 0.95 * 0.5 * (1 + math.cos(math.pi * done))

    return torch.optim.lr_scheduler.LambdaLR(optimizer, factor)


def train_detector(
    config: DetectorTrainConfig,
    run_dir: str | Path | None = None,
    real_laps: Sequence[Lap] = (),
    resume_run: bool = False,
    show_progress: bool = True,
) -> tuple[Detector, list[dict[str, float]]]:
    """Train a detector; with ``run_dir`` write an atomic checkpoint every epoch (resumable).

    Under ``torchrun`` each rank trains on its share of the laps and rank 0 writes.
    """
    channels = known_channels(config.channels)
    torch.manual_seed(config.seed)
    from telecnn.device import pick_device

    ctx, device = init_distributed(pick_device(config.device))
    try:
        # model, optimiser and (when resuming) the checkpoint first: a bad resume fails fast
        n_train = config.sim_laps + len(real_laps)
        # every rank gets the same number of laps (so the same number of steps: DDP needs it)
        mine = list(range(ctx.rank, n_train - n_train % ctx.world_size, ctx.world_size))
        steps = max(1, -(-len(mine) // config.batch_size))
        model_config = config.build_model_config()
        model = build_model(model_config).to(device)
        optimizer = torch.optim.AdamW(
            model.parameters(), lr=config.lr, weight_decay=config.weight_decay
        )
        scheduler = warmup_cosine(optimizer, total_steps=steps * config.epochs)
        spec = RunSpec(KIND, MODEL_NAME, model_config, Path(run_dir) if run_dir else None, {})
        progress, saved = Progress(), None
        if resume_run:
            if spec.checkpoint_path is None or not spec.checkpoint_path.is_file():
                raise TelecnnError(f"nothing to resume: no checkpoint in {run_dir}")
            state = load_checkpoint(spec.checkpoint_path, kind=KIND)
            progress = restore(state, spec, model, optimizer, scheduler, spec.checkpoint_path)
            saved = state["extra"]

        train_laps, train_sim = prepare_laps(config, real_laps)
        val_laps = validation_laps(config)
        if saved is not None:
            norm = Normalisation.from_dict(saved["normalisation"])
        else:
            norm = Normalisation.fit([lap.data for lap in train_laps[:400]], channels)
        examples = make_examples(
            [train_laps[i] for i in mine], [train_sim[i] for i in mine], norm, config.hz
        )
        thresholds = {**DEFAULT_THRESHOLDS, **(saved or {}).get("thresholds", {})}
        detector = Detector(model, norm, config.hz, thresholds, device)
        spec.extra.update(detector.extra())

        def train_batches(epoch: int) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
            rng = np.random.default_rng([config.seed, epoch, ctx.rank])
            return batches(examples, config.batch_size, config.crop, rng, device)

        def evaluate(net: torch.nn.Module) -> dict[str, float]:
            was = net.training
            # the hidden types on simulated laps (no rule labels them); braking from Speed alone
            simulated = [lap for lap in val_laps if lap.truth is not None]
            detector.thresholds |= tune_thresholds(detector, simulated, SIM_ONLY_EVENTS)
            spec.extra["thresholds"] = detector.thresholds
            if "Speed" in channels and len(channels) > 1:
                speed = tune_thresholds(
                    detector, val_laps, ("braking",), ("Speed",), TUNE_MIN_DURATION
                )
                detector.channel_thresholds = {**detector.channel_thresholds, "Speed": speed}
                spec.extra["channel_thresholds"] = detector.channel_thresholds
            scores = evaluate_on(detector, val_laps)
            net.train(was)
            return {f"val_f1_{k}": v for k, v in scores.items() if not math.isnan(v)}

        history = fit(
            model,
            optimizer,
            train_batches,
            masked_bce,
            config.epochs,
            scheduler=scheduler,
            steps_per_epoch=steps,
            evaluate=evaluate,
            spec=spec,
            progress=progress,
            ctx=ctx,
            step_scheduler_per_batch=True,
            show_progress=show_progress,
        )
        model.eval()
        return detector, history
    finally:
        shutdown(ctx)


TUNE_HIGH = (0.2, 0.3, 0.4, 0.5, 0.6, 0.7)
TUNE_MIN_DURATION = (0.0, 0.25, 0.5, 0.75)


def tune_thresholds(
    detector: Detector,
    laps: Sequence[Lap],
    types: Iterable[str],
    channels: Sequence[str] | None = None,
    min_durations: Sequence[float | None] = (None,),
) -> dict[str, dict[str, float]]:
    """The thresholds of ``types`` (``high``, ``low`` = 0.7 ``high``, and a minimum duration
    from ``min_durations``; None keeps the current one) with the best F1 on ``laps`` for the
    model reading ``channels`` (default: all). ``laps`` are held-out simulated laps, never
    real ones. Only the type being tuned is post-processed, once per ``high``: a minimum
    duration only drops events (an event lasts from its run's first sample to its last), so
    each candidate filters the events found with none."""
    if not laps:
        return {}
    base = detector.thresholds_for(channels or detector.channels)
    probs = detector.probabilities(laps, channels)
    labels = [reference_events(lap) for lap in laps]
    intervals = [median_interval(lap_times(lap.data)) for lap in laps]
    chosen = {}
    for name in types:
        best = (-1.0, base[name])
        truth = [lab.loc[lab["event"] == name, SPAN].to_numpy(dtype=float) for lab in labels]
        for high in TUNE_HIGH:
            hysteresis = {**base[name], "high": high, "low": 0.7 * high}
            unfiltered = {**hysteresis, "min_duration": 0.0}
            found = [
                detector.events_from(lap, p, {name: unfiltered}, (name,))[SPAN].to_numpy(float)
                for lap, p in zip(laps, probs, strict=True)
            ]
            for shortest in min_durations:
                th = dict(hysteresis)
                if shortest is not None:
                    th["min_duration"] = shortest
                score = TypeScore()
                for spans, labelled, interval in zip(found, truth, intervals, strict=True):
                    lasting = spans[spans[:, 1] - spans[:, 0] >= th["min_duration"]]
                    add_matches(score, lasting, labelled, False, interval / 2)
                f1 = score.f1 or 0.0
                if f1 > best[0]:
                    best = (f1, th)
        chosen[name] = best[1]
    return chosen


def evaluate_on(
    detector: Detector, laps: Sequence[Lap], channels: Sequence[str] | None = None
) -> dict[str, float]:
    """F1 per type (0 where undefined) of ``detector`` on laps labelled by rules and truth."""
    found = detector.detect_laps(laps, channels)
    scores: dict = {}
    for lap, events in zip(laps, found, strict=True):
        labels = reference_events(lap)
        score_lap(events, labels, median_interval(lap_times(lap.data)), scores)
    return {k: (s.f1 if s.f1 is not None else math.nan) for k, s in scores.items()}


def reference_events(lap: Lap) -> pd.DataFrame:
    """The labels a lap is scored against: rules on its channels, plus simulator-only truth."""
    labels = rule_events(lap.data)
    if lap.truth is not None and len(lap.truth):
        extra = lap.truth[lap.truth["event"].isin(SIM_ONLY_EVENTS)]
        if len(extra):
            labels = pd.concat([labels, extra], ignore_index=True)
    return labels
