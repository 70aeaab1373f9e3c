"""First-layer filters held against the classic kernels: which one each filter resembles.

A filter and a kernel are compared by normalised correlation (the cosine of the angle between
them, on the raw taps): 1 is the same pattern, -1 the same pattern inverted, 0 nothing in common.
The sign is kept, since an inverted edge is a different event (Speed rising, not falling).
Convolution here is cross-correlation (as in torch and :mod:`telecnn.kernels`), so a filter
that matches ``edge`` responds where its channel falls.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from telecnn.errors import TelecnnError
from telecnn.explain.templates import templates

#: What a channel's pattern means on a lap: (channel, kernel) -> (matched, inverted).
_TRACE_MEANINGS = {
    ("Speed", "edge"): ("Speed falling: a braking onset", "Speed rising: acceleration"),
    ("Throttle", "edge"): ("the throttle coming off: a lift", "the throttle going on: pickup"),
    ("Brake", "edge"): ("the brake released", "the brake applied: a braking onset"),
    ("RPM", "edge"): ("revs falling: an upshift or braking", "revs rising through a gear"),
    ("nGear", "edge"): ("the gear falling: a downshift", "the gear rising: an upshift"),
    ("DRS", "edge"): ("the DRS flap closing", "the DRS flap opening"),
}
_GENERIC = {
    "edge": ("{c} falling", "{c} rising"),
    "spike": ("a one-sample spike in {c}", "a one-sample dip in {c}"),
    "smooth": ("the level of {c} (an average)", "the level of {c}, inverted (an average)"),
    "gaussian": ("the level of {c} (a weighted average)", "the level of {c}, inverted"),
}
_IMAGE_MEANINGS = {
    "sobel_x": "vertical edges",
    "sobel_y": "horizontal edges",
    "vertical_line": "vertical boundaries",
    "horizontal_line": "horizontal boundaries",
    "diagonal_line": "diagonal boundaries (/)",
    "antidiagonal_line": "diagonal boundaries (\\)",
    "laplacian": "spots and thin lines",
    "sharpen": "fine detail against its surround",
    "box_blur": "brightness (a blur)",
    "gaussian_2d": "brightness (a blur)",
    "emboss": "relief, lit from one corner",
}


def correlation(a: np.ndarray, b: np.ndarray) -> float:
    """Normalised correlation of two arrays of one shape (0 when either is all zeros)."""
    a, b = np.ravel(a).astype(np.float64), np.ravel(b).astype(np.float64)
    norm = np.linalg.norm(a) * np.linalg.norm(b)
    return float(a @ b / norm) if norm > 0 else 0.0


def closest_kernel(
    weights: np.ndarray, bank: dict[str, np.ndarray] | None = None
) -> tuple[str, float]:
    """The classic kernel ``weights`` resembles most (largest ``|correlation|``), with the signed
    correlation; ``bank`` defaults to :func:`templates` at the filter's shape."""
    bank = templates(tuple(np.shape(weights))) if bank is None else bank
    scores = {name: correlation(weights, kernel) for name, kernel in bank.items()}
    best = max(scores, key=lambda name: (abs(scores[name]), name))
    return best, scores[best]


def meaning(channel: str, kernel: str, corr: float) -> str:
    """What a filter matching ``kernel`` with sign of ``corr`` responds to on ``channel``."""
    if channel == "image":
        what = _IMAGE_MEANINGS.get(kernel, kernel)
        return what if corr >= 0 else f"{what}, with the opposite sign"
    matched, inverted = _TRACE_MEANINGS.get((channel, kernel)) or tuple(
        text.format(c=channel) for text in _GENERIC[kernel]
    )
    return matched if corr >= 0 else inverted


@dataclass(frozen=True)
class FilterReport:
    """The first-layer filters of a model and the kernels they resemble.

    ``table``: one row per filter and input channel (``filter``, ``channel``, ``kernel``,
    ``correlation``, ``weight_norm``, ``meaning``); ``weights``: ``(F, C, *K)`` taps;
    ``channels``: the input channels; ``kind``: ``event-detector`` or ``image-classifier``.
    """

    kind: str
    source: str
    channels: tuple[str, ...]
    weights: np.ndarray
    table: pd.DataFrame
    #: The model card, in a few lines (event models; empty for image models).
    card: str = ""

    def template(self, row: int) -> np.ndarray:
        """The kernel of ``table`` row ``row``, at the filter's shape."""
        return templates(self.weights.shape[2:])[self.table["kernel"].iloc[row]]

    def summary(self) -> str:
        """How many filters match each kernel per channel, strongest matches first."""
        t = self.table
        strong = t[t["correlation"].abs() >= 0.8]
        lines = [
            f"{self.source}: {self.weights.shape[0]} first-layer filters x "
            f"{len(self.channels)} input channel(s); {len(strong)} of {len(t)} match a classic "
            "kernel with |correlation| >= 0.8"
        ]
        if self.card:
            lines[:0] = self.card.splitlines()
        for row in t.reindex(t["correlation"].abs().sort_values(ascending=False).index)[
            :10
        ].itertuples():
            lines.append(
                f"  filter {row.filter:>2} {row.channel:<8} {row.kernel:<17} "
                f"{row.correlation:+.2f}  {row.meaning}"
            )
        return "\n".join(lines)


def filter_table(weights: np.ndarray, channels: tuple[str, ...]) -> pd.DataFrame:
    """One row per filter and channel: closest kernel, signed correlation, norm, meaning."""
    bank = templates(weights.shape[2:])
    rows = []
    for f in range(weights.shape[0]):
        for c, channel in enumerate(channels):
            taps = weights[f, c]
            kernel, corr = closest_kernel(taps, bank)
            rows.append(
                {
                    "filter": f,
                    "channel": channel,
                    "kernel": kernel,
                    "correlation": round(corr, 4),
                    "weight_norm": round(float(np.linalg.norm(taps)), 4),
                    "meaning": meaning(channel, kernel, corr),
                }
            )
    return pd.DataFrame(rows)


def explain_filters(model: Any = None) -> FilterReport:
    """The first-layer filters of ``model``: None (the shipped event CNN), a loaded
    ``Detector``, or the path of a checkpoint or run folder of either pipeline."""
    from telecnn.telemetry.detector import Detector, default_model_path, load_detector

    if isinstance(model, Detector):
        return _event_report(model)
    path = default_model_path() if model is None else Path(model)
    kind = _checkpoint_kind(path)
    if kind == "event-detector":
        return _event_report(load_detector(path, engine="torch"))
    if kind == "image-classifier":
        return _image_report(path)
    raise TelecnnError(f"{path} holds a {kind} checkpoint: explain knows event and image models")


def _event_report(detector: Any) -> FilterReport:
    """The stem's value rows: one 1D filter per output filter and input channel (the mask rows,
    which say whether a channel is present, are left out)."""
    stem = detector.model.stem[0]
    weights = stem.weight.detach().float().cpu().numpy()
    channels = tuple(detector.channels)
    values = weights[:, : len(channels)]
    return FilterReport(
        "event-detector",
        detector.source,
        channels,
        values,
        filter_table(values, channels),
        detector.card_text(),
    )


def _image_report(path: str | os.PathLike[str]) -> FilterReport:
    from vision.checkpoint import load_trained

    model, _ = load_trained(path)
    weights = model.first_conv().weight.detach().float().cpu().numpy()
    channels, first = ("image",), weights[:, :1]  # one input channel (grey levels)
    return FilterReport(
        "image-classifier", str(path), channels, first, filter_table(first, channels)
    )


def _checkpoint_kind(path: Path) -> str:
    from telecnn.training.checkpoint import load_checkpoint

    return str(load_checkpoint(path).get("kind", "unknown"))
