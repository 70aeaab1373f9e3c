"""Training examples: every lap's grid input and targets, laid end to end, and random crops.

A lap's targets are the masks of its
:func:`~telecnn.telemetry.events.labels.reference_events` on the grid, with a weight per type
and sample: the types only the simulator labels weigh nothing on a real lap, and the energy
types weigh more where their rule's sample condition holds for a short while
(:func:`boundary_weights`): whether such a run spans the rule's 0.5 s is what decides.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import numpy as np
import torch

from telecnn.telemetry.detector.features import Normalisation, lap_inputs
from telecnn.telemetry.events.labels import SIM_ONLY_ROWS, reference_events, sample_labels
from telecnn.telemetry.events.rules import MIN_SPAN, event_conditions
from telecnn.telemetry.events.table import run_bounds, runs_mask
from telecnn.telemetry.laps.grid import grid_index, previous_index
from telecnn.telemetry.laps.schema import EVENT_TYPES, POINT_EVENTS, Lap


def lap_labels(lap: Lap) -> tuple[np.ndarray, np.ndarray]:
    """Per-sample labels ``(E, n)`` and per-type weights ``(E,)`` of a lap (weight 0 for the
    simulator-only types on a real lap, where nothing labels them)."""
    labels = sample_labels(lap.times, reference_events(lap))
    weights = np.ones(len(EVENT_TYPES), dtype=np.float32)
    if lap.truth is None:
        weights[SIM_ONLY_ROWS] = 0.0
    return labels, weights


#: Weight of the samples of a short run of an energy type's sample condition (labelled or not:
#: a run just long enough and one just too short are the cases the rule's span decides), and
#: the longest span (s) that counts as short.
BOUNDARY_WEIGHT = 3.0
BOUNDARY_SPAN = 1.5


def boundary_weights(lap: Lap, grid: np.ndarray) -> np.ndarray:
    """Per type and grid point ``(E, G)``: :data:`BOUNDARY_WEIGHT` where an energy type's rule
    condition holds in a run spanning less than :data:`BOUNDARY_SPAN` seconds (the grid point
    reads the sample before it, as the targets do), else 1."""
    weights = np.ones((len(EVENT_TYPES), len(grid)), dtype=np.float32)
    times = lap.times
    at = previous_index(times, grid)
    for name, condition in event_conditions(lap.columns, types=tuple(MIN_SPAN)).items():
        if not condition.whole:  # the rule labels no lift without Brake
            continue
        starts, ends = run_bounds(condition.mask)
        short = times[ends] - times[starts] < BOUNDARY_SPAN
        marked = runs_mask(starts[short], ends[short], len(times))
        weights[EVENT_TYPES.index(name), marked[at]] = BOUNDARY_WEIGHT
    return weights


def grid_targets(times: np.ndarray, labels: np.ndarray, grid: np.ndarray, hz: float) -> np.ndarray:
    """Per-sample labels ``(E, n)`` on the grid ``(E, G)``.

    Interval types carry each sample's label until the next sample (the previous-value rule,
    as for Brake and DRS). A point event marks only the grid point its sample reads (the first
    at or after it), so shifts on consecutive samples stay separate peaks.
    """
    targets = labels[:, previous_index(times, grid)]
    at = grid_index(times, grid[0], hz, len(grid))
    for k, name in enumerate(EVENT_TYPES):
        if name in POINT_EVENTS:
            targets[k] = 0.0
            targets[k, at[labels[k] > 0]] = 1.0
    return targets


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


def make_examples(laps: Sequence[Lap], norm: Normalisation, hz: float) -> Examples:
    """Grid inputs, targets and weights of every lap (computed once, before training)."""
    xs, ys = [], []
    for lap in laps:
        labels, weights = lap_labels(lap)
        x, grid = lap_inputs(lap, norm, hz)
        y = grid_targets(lap.times, labels, grid, hz)
        xs.append(x.astype(np.float32, copy=False))
        ys.append(np.vstack([y, weights[:, None] * boundary_weights(lap, grid)]))
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
    input holds the lap's edge sample (as :func:`~telecnn.telemetry.laps.grid.pad_to` pads laps in
    batched detection) and the targets weigh nothing. Each batch is one indexed gather from
    the laps laid end to end (no per-lap Python).
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
