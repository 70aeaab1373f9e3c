"""Why the event CNN marked an event: integrated gradients over the lap's channels.

Integrated gradients (Sundararajan et al., 2017) attribute the change of one output between a
baseline input and the real one to every input value: the input's difference from the baseline
times the gradient averaged along the straight path between them. Chosen over occlusion because
its attributions add up to the change they explain (completeness: the sum over channels and
samples equals p(lap) - p(baseline)), so a share per channel means something; it resolves single
samples, needs no window size or fill value, and costs one batched forward and backward pass.

The explained output is the model's mean probability of the event's type over the event (the
one grid sample of a gear shift). The baseline is the same lap with every channel read held at
its training mean (normalised value 0) and the same masks: a lap on which nothing happens.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import torch
import torch.nn.functional as F

from telecnn.errors import TelecnnError
from telecnn.telemetry.detector.detector import Detector, padded_length
from telecnn.telemetry.detector.features import lap_inputs
from telecnn.telemetry.detector.running import choose_detector
from telecnn.telemetry.laps.schema import EVENT_TYPES, POINT_EVENTS, Lap
from telecnn.telemetry.sources import as_lap

#: Steps along the path from the baseline (midpoint rule); completeness holds to about 1e-3.
STEPS = 64


@dataclass(frozen=True)
class Attribution:
    """One event explained: the lap's channels on the detector's grid and their attribution.

    ``values`` and ``attribution`` are ``(C, G)`` over ``channels`` and the ``grid`` times (s);
    values are as the model reads them (Brake 0/1, DRS open 0/1). ``probability`` is the
    explained output on the lap, ``baseline_probability`` on the baseline; ``window`` the grid
    slice of the event.
    """

    lap: Lap
    event: pd.Series
    event_type: str
    channels: tuple[str, ...]
    grid: np.ndarray
    values: np.ndarray
    attribution: np.ndarray
    probability: float
    baseline_probability: float
    window: slice

    @property
    def shares(self) -> pd.Series:
        """Each channel's share of the absolute attribution (sums to 1)."""
        mass = np.abs(self.attribution).sum(axis=1)
        total = mass.sum()
        return pd.Series(mass / total if total > 0 else mass, index=list(self.channels))

    @property
    def completeness_gap(self) -> float:
        """Sum of the attribution minus the change it explains (0 for exact integration)."""
        return float(self.attribution.sum() - (self.probability - self.baseline_probability))

    def table(self) -> pd.DataFrame:
        """Per grid sample: ``Time``, each channel's value and its attribution (``<ch>_attr``)."""
        cols: dict[str, Any] = {"Time": self.grid}
        for i, name in enumerate(self.channels):
            cols[name] = self.values[i]
        for i, name in enumerate(self.channels):
            cols[f"{name}_attr"] = self.attribution[i]
        cols["in_event"] = np.zeros(len(self.grid), dtype=bool)
        cols["in_event"][self.window] = True
        return pd.DataFrame(cols)

    def summary(self) -> str:
        """Two lines: the event, the probabilities, and the shares per channel."""
        e = self.event
        shares = ", ".join(
            f"{c} {s:.0%}" for c, s in self.shares.sort_values(ascending=False).items()
        )
        span = f"{e['start_time']:.2f}-{e['end_time']:.2f} s"
        return (
            f"{self.lap.meta.label()}: {self.event_type} {span}, "
            f"p {self.probability:.3f} (baseline {self.baseline_probability:.3f})\n"
            f"attribution by channel: {shares}"
        )


def integrated_gradients(
    detector: Detector,
    x: np.ndarray,
    event_type: str,
    window: slice,
    steps: int = STEPS,
) -> tuple[np.ndarray, float, float]:
    """Attribution ``(2C, G)`` of the mean probability of ``event_type`` over ``window`` for
    the detector input ``x`` ``(2C, G)``, from the baseline (value rows 0, masks as in ``x``).

    Returns the attribution, the output on ``x`` and on the baseline. The lap is padded inside
    the differentiated function exactly as detection pads it, so the probabilities are the
    detector's own and the padding's share flows back to the lap's last sample.
    """
    k = EVENT_TYPES.index(event_type)
    channels = x.shape[0] // 2
    target = torch.from_numpy(x).float().to(detector.device)
    baseline = target.clone()
    baseline[:channels] = 0.0  # every channel at its training mean; masks unchanged
    pad = padded_length(x.shape[1]) - x.shape[1]
    model = detector.model.eval()

    def output(inputs: torch.Tensor) -> torch.Tensor:
        padded = F.pad(inputs, (0, pad), mode="replicate") if pad else inputs
        probs = torch.sigmoid(model(padded)[:, k, : x.shape[1]])
        return probs[:, window].mean(dim=1)

    alphas = (torch.arange(steps, dtype=torch.float32, device=target.device) + 0.5) / steps
    path = baseline + alphas[:, None, None] * (target - baseline)
    path.requires_grad_(True)
    output(path).sum().backward()
    assert path.grad is not None
    attribution = (target - baseline) * path.grad.mean(dim=0)
    with torch.no_grad():
        ends = output(torch.stack([target, baseline]))
    return attribution.cpu().numpy(), float(ends[0]), float(ends[1])


def explain_event(
    lap: Any,
    event_type: str,
    index: int | None = None,
    at: float | None = None,
    detector: Detector | str | None = None,
    channels: Sequence[str] | None = None,
    steps: int = STEPS,
) -> Attribution:
    """Why the CNN marked an event of ``event_type`` on ``lap``: the ``index``-th one (1 = the
    first) or the one at (or nearest to) ``at`` seconds, read from ``channels`` (default: all the
    lap has). ``detector``: a :class:`Detector`, a checkpoint path, or None for the shipped one.
    """
    if event_type not in EVENT_TYPES:
        raise TelecnnError(
            f"unknown event type {event_type!r}: use one of {', '.join(EVENT_TYPES)}"
        )
    if (index is None) == (at is None):
        raise TelecnnError("say which event: give an index (1 = the first) or a time in seconds")
    net = choose_detector(detector, engine="torch")
    if not isinstance(net, Detector):
        raise TelecnnError("explain reads the CNN: the rules have no attributions")
    lap = as_lap(lap)
    events = net.detect_laps([lap], channels)[0]
    events = events[events["event"] == event_type].reset_index(drop=True)
    if events.empty:
        read = ", ".join(channels) if channels else "its channels"
        raise TelecnnError(f"the CNN marks no {event_type} on {lap.meta.label()} (from {read})")
    row = _pick(events, index, at, event_type, lap.meta.label())
    used = net.channels_for(lap, channels)
    x, grid = lap_inputs(lap, net.norm, net.hz, used)
    window = _window(grid, row, event_type)
    attribution, p, p0 = integrated_gradients(net, x, event_type, window, steps)
    rows = [net.channels.index(c) for c in used]
    values = np.stack([x[i] * net.norm.std[i] + net.norm.mean[i] for i in rows])
    return Attribution(
        lap=lap,
        event=row,
        event_type=event_type,
        channels=tuple(used),
        grid=grid,
        values=values,
        attribution=attribution[rows],
        probability=p,
        baseline_probability=p0,
        window=window,
    )


def _pick(
    events: pd.DataFrame, index: int | None, at: float | None, event_type: str, where: str
) -> pd.Series:
    """The chosen event of ``events`` (one type, in lap order)."""
    if index is not None:
        if not 1 <= index <= len(events):
            raise TelecnnError(
                f"{where} has {len(events)} {event_type} event(s): --index must be 1-{len(events)}"
            )
        return events.iloc[index - 1]
    assert at is not None
    inside = (events["start_time"] <= at) & (events["end_time"] >= at)
    if inside.any():
        return events[inside].iloc[0]
    gaps = np.minimum((events["start_time"] - at).abs(), (events["end_time"] - at).abs())
    return events.iloc[int(np.argmin(gaps.to_numpy()))]


def _window(grid: np.ndarray, event: pd.Series, event_type: str) -> slice:
    """The grid samples the event covers (the one it reads, for a point event)."""
    start = int(np.searchsorted(grid, event["start_time"] - 1e-9))
    if event_type in POINT_EVENTS:
        start = min(start, len(grid) - 1)
        return slice(start, start + 1)
    stop = int(np.searchsorted(grid, event["end_time"] + 1e-9))
    start = min(start, len(grid) - 1)
    return slice(start, max(stop, start + 1))
