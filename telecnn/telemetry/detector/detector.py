"""A trained event detector: the CNN with its channels, normalisation, grid rate and thresholds.

:meth:`Detector.detect_laps` is the batched path: laps are put on the grid, sorted by length,
padded (holding their last sample) to a multiple of :data:`PAD_TO` and run through the model
one batch per forward pass; the probabilities go back to each lap's own samples and become
events (:mod:`.postprocess`).
"""

from __future__ import annotations

import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from tqdm.auto import tqdm

from telecnn.errors import TelecnnError
from telecnn.telemetry.detector.features import (
    GRID_HZ,
    Normalisation,
    known_channels,
    lap_inputs,
    present_channels,
)
from telecnn.telemetry.detector.postprocess import DEFAULT_THRESHOLDS, LapTraces, laps_to_events
from telecnn.telemetry.events.rules import lap_events
from telecnn.telemetry.laps.end_to_end import groups
from telecnn.telemetry.laps.grid import grid_index, pad_to
from telecnn.telemetry.laps.schema import EVENT_TYPES, Lap

#: A lap shorter than this (seconds) is refused: too little context for the model.
MIN_LAP_SECONDS = 5.0
#: Laps are padded to a multiple of this many grid samples, so a lap's result depends on its
#: own length only, never on the other laps of its batch.
PAD_TO = 128

Thresholds = dict[str, dict[str, float]]


def padded_length(length: int) -> int:
    """The grid length a lap is padded to before the forward pass."""
    return -(-length // PAD_TO) * PAD_TO


@dataclass(frozen=True)
class LapProbabilities:
    """One lap's event probabilities: ``(E, n)`` at its own samples, ``(E, G)`` on the grid,
    and the grid times ``(G,)``; rows follow :data:`EVENT_TYPES`."""

    at_samples: np.ndarray
    on_grid: np.ndarray
    grid_times: np.ndarray


@dataclass
class Detector:
    """A trained event CNN with its channels, normalisation, grid rate and thresholds.

    ``model`` is the torch ``EventCNN`` (None when only the NumPy engine was loaded);
    ``engine``, where set, runs the forward pass instead of it
    (:class:`~telecnn.telemetry.detector.numpy_engine.NumpyEngine`: no torch needed).
    """

    model: Any
    norm: Normalisation
    hz: float = GRID_HZ
    thresholds: Thresholds = field(default_factory=lambda: dict(DEFAULT_THRESHOLDS))
    device: Any = "cpu"
    source: str = "(in memory)"
    #: Seconds spent in the model's forward passes by the last call (for benchmarks).
    last_model_seconds: float = 0.0
    #: Threshold overrides for a channel subset, keyed by its channels joined with "," (e.g.
    #: braking from ``"Speed"`` alone, where the probabilities are less sharp).
    channel_thresholds: dict[str, Thresholds] = field(default_factory=dict)
    engine: Any = None

    @property
    def channels(self) -> tuple[str, ...]:
        return self.norm.channels

    def thresholds_for(self, channels: Sequence[str]) -> Thresholds:
        """The thresholds used when the model reads ``channels``."""
        over = self.channel_thresholds.get(",".join(channels), {})
        return {**self.thresholds, **over} if over else self.thresholds

    def check_channels(self, channels: Sequence[str]) -> tuple[str, ...]:
        """Channel names checked against the taxonomy and the channels the model was trained on."""
        wanted = known_channels(channels)
        foreign = [c for c in wanted if c not in self.channels]
        if foreign:
            raise TelecnnError(
                f"the model ({self.source}) was trained on {', '.join(self.channels)} "
                f"and cannot read {', '.join(foreign)}"
            )
        return wanted

    def channels_for(self, lap: Lap, channels: Sequence[str] | None = None) -> list[str]:
        """The channels to read from ``lap``: checked against the model and the lap."""
        if channels is not None:
            wanted = self.check_channels(channels)
            absent = [c for c in wanted if c not in present_channels(lap.columns, wanted)]
            if absent:
                raise TelecnnError(f"{lap.meta.label()} has no {', '.join(absent)} channel")
            return list(wanted)
        used = present_channels(lap.columns, self.channels)
        if not used:
            raise TelecnnError(
                f"{lap.meta.label()} has none of the channels the model was trained on "
                f"({', '.join(self.channels)})"
            )
        return used

    def probabilities(
        self,
        laps: Sequence[Lap],
        channels: Sequence[str] | None = None,
        batch_size: int = 64,
        progress: bool = False,
    ) -> list[LapProbabilities]:
        """Each lap's event probabilities (see :class:`LapProbabilities`)."""
        return self._probabilities(laps, channels, batch_size, progress)[0]

    def _inputs(
        self, laps: Sequence[Lap], channels: Sequence[str] | None, progress: bool
    ) -> tuple[list[tuple[np.ndarray, np.ndarray]], list[list[str]]]:
        """Each lap's grid input and grid times, and the channels read from it."""
        inputs, used = [], []
        bar = _bar("reading laps", len(laps), progress)
        for lap in laps:
            times = lap.times
            if times[-1] - times[0] < MIN_LAP_SECONDS or len(times) < 4:
                raise TelecnnError(
                    f"{lap.meta.label()} is too short for the detector: {len(times)} samples over "
                    f"{times[-1] - times[0]:.1f} s (needs at least {MIN_LAP_SECONDS:.0f} s)"
                )
            used.append(self.channels_for(lap, channels))
            inputs.append(lap_inputs(lap, self.norm, self.hz, used[-1]))
            bar.update()
        bar.close()
        return inputs, used

    def _probabilities(
        self,
        laps: Sequence[Lap],
        channels: Sequence[str] | None,
        batch_size: int,
        progress: bool,
    ) -> tuple[list[LapProbabilities], list[list[str]]]:
        """:meth:`probabilities` and the channels read from each lap."""
        inputs, used = self._inputs(laps, channels, progress)
        buckets = [padded_length(x.shape[1]) for x, _ in inputs]
        order = np.lexsort((np.arange(len(inputs)), buckets))
        out: list[Any] = [None] * len(laps)
        if self.model is not None:
            self.model.eval()
        self.last_model_seconds = 0.0
        bar = _bar("detecting", len(laps), progress)
        begin = 0
        while begin < len(order):
            length = buckets[order[begin]]
            idx = [i for i in order[begin : begin + batch_size] if buckets[i] == length]
            begin += len(idx)
            probs = self._forward(np.stack([pad_to(inputs[i][0], length) for i in idx]))
            for row, i in enumerate(idx):
                grid = inputs[i][1]
                at = grid_index(laps[i].times, grid[0], self.hz, len(grid))
                out[i] = LapProbabilities(probs[row][:, at], probs[row][:, : len(grid)], grid)
            bar.update(len(idx))
        bar.close()
        return out, used

    def _forward(self, batch: np.ndarray) -> np.ndarray:
        """Event probabilities of a batch of padded grid inputs ``(N, 2C, T) -> (N, E, T)``."""
        started = time.perf_counter()
        if self.engine is not None:
            probs = self.engine(batch)
        else:
            import torch

            with torch.inference_mode():
                probs = torch.sigmoid(self.model(torch.from_numpy(batch).to(self.device)))
                probs = probs.float().cpu().numpy()
        self.last_model_seconds += time.perf_counter() - started
        return probs

    def detect_laps(
        self,
        laps: Sequence[Lap],
        channels: Sequence[str] | None = None,
        batch_size: int = 64,
        progress: bool = False,
    ) -> list[pd.DataFrame]:
        """Events of each lap (the batched path): only the types the channels read can show
        (:func:`~telecnn.telemetry.events.rules.lap_events`: no DRS on a car without it). The
        post-processing runs once over the laps that read the same channels (laid end to end),
        each lap's table what :meth:`events_from` gives it alone."""
        probs, used = self._probabilities(laps, channels, batch_size, progress)
        return self.events_of_laps(laps, probs, used)

    def events_of_laps(
        self, laps: Sequence[Lap], probs: Sequence[LapProbabilities], used: Sequence[Sequence[str]]
    ) -> list[pd.DataFrame]:
        """The post-processing of :meth:`detect_laps`: each lap's events from its probabilities
        and the channels read from it."""
        traces = [_traces(lap, p) for lap, p in zip(laps, probs, strict=True)]
        keys = [
            (tuple(read), lap_events(lap.columns, read), _present(trace))
            for lap, read, trace in zip(laps, used, traces, strict=True)
        ]
        found: list[Any] = [None] * len(laps)
        for (read, types, _), idx in groups(keys).items():
            batch = laps_to_events([traces[i] for i in idx], self.thresholds_for(read), types)
            for i, events in zip(idx, batch, strict=True):
                found[i] = events
        return found

    def events_from(
        self,
        lap: Lap,
        probs: LapProbabilities,
        thresholds: Thresholds | None = None,
        event_types: tuple[str, ...] = EVENT_TYPES,
    ) -> pd.DataFrame:
        """A lap's events from its :meth:`probabilities` (``thresholds``: the detector's when
        None), only of ``event_types``; none while the car stands (as the rules)."""
        chosen = self.thresholds if thresholds is None else thresholds
        return laps_to_events([_traces(lap, probs)], chosen, event_types)[0]

    def extra(self) -> dict[str, Any]:
        """What a checkpoint stores beside the weights."""
        return {
            "event_types": list(EVENT_TYPES),
            "channels": list(self.channels),
            "normalisation": self.norm.to_dict(),
            "grid_hz": self.hz,
            "thresholds": self.thresholds,
            "channel_thresholds": self.channel_thresholds,
        }


def _traces(lap: Lap, probs: LapProbabilities) -> LapTraces:
    """What post-processing reads of a lap and its probabilities."""
    cols = lap.columns
    return LapTraces(
        probs.at_samples,
        lap.times,
        lap.distance,
        cols["Speed"].astype(float, copy=False) if "Speed" in cols else None,
        cols["nGear"].astype(float, copy=False) if "nGear" in cols else None,
        probs.on_grid,
        probs.grid_times,
    )


def _present(trace: LapTraces) -> tuple[bool, bool]:
    """Which of speed and gear a lap has (laps post-processed together have the same)."""
    return trace.speed is not None, trace.gear is not None


def _bar(what: str, laps: int, show: bool) -> tqdm:
    """A progress bar over laps on stderr that goes away when done."""
    return tqdm(total=laps, desc=what, unit="lap", file=sys.stderr, disable=not show, leave=False)
