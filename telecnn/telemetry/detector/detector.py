"""A trained event detector: the CNN with its channels, normalisation, grid rate and thresholds.

:meth:`Detector.detect_laps` is the batched path: laps are put on the grid, sorted by length,
padded (holding their last sample) to a multiple of :data:`PAD_TO` and run through the model
one batch per forward pass; the probabilities go back to each lap's own samples and become
events (:mod:`.postprocess`).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from telecnn.errors import TelecnnError
from telecnn.progress import progress_bar
from telecnn.telemetry.detector.features import (
    GRID_HZ,
    Normalisation,
    known_channels,
    lap_inputs,
    present_channels,
)
from telecnn.telemetry.detector.postprocess import (
    DEFAULT_THRESHOLDS,
    EDGE_CHANNELS,
    LapTraces,
    laps_to_events,
)
from telecnn.telemetry.events.rules import lap_events
from telecnn.telemetry.events.table import measured_samples, moving_mask, run_bounds
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
    #: What the model was trained on and its scores on its held-out laps (its model card).
    card: dict[str, Any] = field(default_factory=dict)
    #: Events take their edges from the channels read where those check the type's rule
    #: (:func:`~telecnn.telemetry.detector.postprocess.on_condition`); False: the model's own.
    channel_edges: bool = True

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
    ) -> tuple[list[_Piece], list[list[str]]]:
        """Each lap's pieces on the grid (the lap without its long standstills:
        :func:`moving_pieces`), and the channels read from each lap."""
        pieces, used = [], []
        bar = progress_bar(what="reading laps", unit="lap", total=len(laps), show=progress)
        for k, lap in enumerate(laps):
            times = lap.times
            if times[-1] - times[0] < MIN_LAP_SECONDS or len(times) < 4:
                raise TelecnnError(
                    f"{lap.meta.label()} is too short for the detector: {len(times)} samples over "
                    f"{times[-1] - times[0]:.1f} s (needs at least {MIN_LAP_SECONDS:.0f} s)"
                )
            used.append(self.channels_for(lap, channels))
            for a, b in moving_pieces(lap):
                part = lap if (a, b) == (0, len(lap)) else _slice(lap, a, b)
                x, grid = lap_inputs(part, self.norm, self.hz, used[-1])
                pieces.append(_Piece(k, a, b, x, grid))
            bar.update()
        bar.close()
        return pieces, used

    def _probabilities(
        self,
        laps: Sequence[Lap],
        channels: Sequence[str] | None,
        batch_size: int,
        progress: bool,
    ) -> tuple[list[LapProbabilities], list[list[str]]]:
        """:meth:`probabilities` and the channels read from each lap. The model runs on each
        lap's moving pieces; a skipped standstill has probability 0 of every event."""
        pieces, used = self._inputs(laps, channels, progress)
        buckets = [padded_length(piece.x.shape[1]) for piece in pieces]
        order = np.lexsort((np.arange(len(pieces)), buckets))
        at_samples = [np.zeros((len(EVENT_TYPES), len(lap)), dtype=np.float32) for lap in laps]
        on_grid: list[list[tuple[np.ndarray, np.ndarray]]] = [[] for _ in laps]
        if self.model is not None:
            self.model.eval()
        self.last_model_seconds = 0.0
        bar = progress_bar(what="detecting", unit="lap", total=len(laps), show=progress)
        left = np.bincount([piece.lap for piece in pieces], minlength=len(laps))
        begin = 0
        while begin < len(order):
            length = buckets[order[begin]]
            idx = [i for i in order[begin : begin + batch_size] if buckets[i] == length]
            begin += len(idx)
            probs = self._forward(np.stack([pad_to(pieces[i].x, length) for i in idx]))
            for row, i in enumerate(idx):
                piece = pieces[i]
                times = laps[piece.lap].times[piece.start : piece.end]
                at = grid_index(times, piece.grid[0], self.hz, len(piece.grid))
                at_samples[piece.lap][:, piece.start : piece.end] = probs[row][:, at]
                on_grid[piece.lap].append((probs[row][:, : len(piece.grid)], piece.grid))
            np.subtract.at(left, [pieces[i].lap for i in idx], 1)
            bar.n = len(laps) - int(np.count_nonzero(left))
            bar.refresh()
        bar.close()
        out = []
        for probs, parts in zip(at_samples, on_grid, strict=True):
            parts.sort(key=lambda part: part[1][0])
            grid_probs = np.concatenate([g for g, _ in parts], axis=1) if parts else probs[:, :0]
            grid = np.concatenate([t for _, t in parts]) if parts else np.zeros(0)
            out.append(LapProbabilities(probs, grid_probs, grid))
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
        traces = [
            lap_traces(lap, p, read, self.channel_edges)
            for lap, p, read in zip(laps, probs, used, strict=True)
        ]
        keys = [
            (tuple(read), lap_events(lap.columns, read), traces_present(trace))
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
        read: Sequence[str] | None = None,
    ) -> pd.DataFrame:
        """A lap's events from its :meth:`probabilities` (``thresholds``: the detector's when
        None), only of ``event_types``; none while the car stands (as the rules). ``read``: the
        channels the probabilities came from (default: those :meth:`detect_laps` reads of the
        lap), whose rule conditions give the events' edges."""
        chosen = self.thresholds if thresholds is None else thresholds
        read = self.channels_for(lap) if read is None else read
        traces = lap_traces(lap, probs, read, self.channel_edges)
        return laps_to_events([traces], chosen, event_types)[0]

    def extra(self) -> dict[str, Any]:
        """What a checkpoint stores beside the weights."""
        return {
            "event_types": list(EVENT_TYPES),
            "channels": list(self.channels),
            "normalisation": self.norm.to_dict(),
            "grid_hz": self.hz,
            "thresholds": self.thresholds,
            "channel_thresholds": self.channel_thresholds,
            "card": self.card,
        }

    def card_text(self) -> str:
        """The model card in a few lines: what it was trained on, its held-out scores."""
        return card_text(self.card, self.source)


def card_text(card: dict[str, Any], source: str) -> str:
    """A model card (:func:`~telecnn.telemetry.detector.train.model_card`) as text."""
    if not card:
        return f"model {source}: no model card (trained before cards were written)"
    real = card.get("real_sources") or {}
    lines = [
        f"model {source}: trained on {card.get('simulated_laps', 0)} simulated laps "
        f"(eras {', '.join(card.get('eras', []))}) and {card.get('real_laps', 0)} real laps"
        + (f" ({', '.join(f'{k}: {v}' for k, v in real.items())})" if real else "")
        + f", {card.get('epochs', '?')} epochs, seed {card.get('seed', '?')}"
    ]
    for name, scores in (card.get("validation") or {}).items():
        shown = ", ".join(f"{k} {v:.3f}" for k, v in scores.items())
        if name.startswith("real: "):  # the real held-out laps through a reduced feed
            lines.append(f"    through {name.removeprefix('real: ')} alone: {shown}")
            continue
        held = card.get("real_held_out") if name == "real" else "held-out"
        lines.append(f"  F1 on its {name} validation laps ({held}): {shown}")
    if card.get("validation"):  # the same laps chose the thresholds: an upper bound
        lines.append("  (its thresholds were tuned on these laps: the figures are optimistic)")
    return "\n".join(lines)


#: A standstill longer than this (s: the garage, a red flag in the pit lane) is skipped before
#: the model runs, but for :data:`SKIP_MARGIN_S` at each end: a standing car has no events by
#: definition, and a test day is nearly half the garage.
SKIP_STANDING_S = 20.0
SKIP_MARGIN_S = 2.0


@dataclass(frozen=True)
class _Piece:
    """A stretch ``start:end`` of lap ``lap``'s samples on the grid: its input and grid times."""

    lap: int
    start: int
    end: int
    x: np.ndarray
    grid: np.ndarray


def moving_pieces(lap: Lap) -> list[tuple[int, int]]:
    """The sample ranges ``[a, b)`` of ``lap`` the model runs on: the lap without its
    standstills longer than :data:`SKIP_STANDING_S` (kept for :data:`SKIP_MARGIN_S` at each
    end); ranges of less than :data:`MIN_LAP_SECONDS` are left out (a car pushed in the
    garage). The whole lap when nothing is skipped."""
    moving = moving_mask(lap.columns)
    n = len(lap)
    if moving is None or moving.all():
        return [(0, n)]
    t = lap.times
    starts, ends = run_bounds(~moving)
    after = np.minimum(ends + 1, n - 1)
    long = t[after] - t[starts] > SKIP_STANDING_S
    if not long.any():
        return [(0, n)]
    # the skipped part of each long standstill, margins kept
    cut_from = np.searchsorted(t, t[starts[long]] + SKIP_MARGIN_S)
    cut_to = np.searchsorted(t, t[ends[long]] - SKIP_MARGIN_S, side="right")
    edges = np.concatenate([[0], np.column_stack([cut_from, cut_to]).ravel(), [n]])
    pieces = [(int(a), int(b)) for a, b in edges.reshape(-1, 2) if b > a]
    return [(a, b) for a, b in pieces if t[b - 1] - t[a] >= MIN_LAP_SECONDS]


def _slice(lap: Lap, a: int, b: int) -> Lap:
    """Samples ``a:b`` of a lap as a lap of their own (its meta kept)."""
    return Lap.from_columns({name: values[a:b] for name, values in lap.columns.items()}, lap.meta)


def lap_traces(
    lap: Lap, probs: LapProbabilities, read: Sequence[str] | None = None, edges: bool = True
) -> LapTraces:
    """What post-processing reads of a lap and its probabilities (the gear where the detector
    reads it: its shifts take their gears there; with ``edges``, the rule conditions the
    channels ``read`` check: the events' edges)."""
    cols = lap.columns
    seen = [n for n in EDGE_CHANNELS if n in cols and (read is None or n in read)]
    return LapTraces(
        probs.at_samples,
        lap.times,
        lap.distance,
        cols["Speed"].astype(float, copy=False) if "Speed" in cols else None,
        cols["nGear"].astype(float, copy=False)
        if "nGear" in cols and (read is None or "nGear" in read)
        else None,
        probs.on_grid,
        probs.grid_times,
        measured_samples(cols),
        {n: cols[n] for n in seen} if edges else None,
    )


def traces_present(trace: LapTraces) -> tuple[Any, ...]:
    """Which of speed and gear a lap has, and which channels give edges: laps post-processed
    together have the same."""
    return trace.speed is not None, trace.gear is not None, tuple(trace.edge_channels or ())
