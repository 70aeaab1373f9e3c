"""Laps laid end to end: the columns of many laps as one set of arrays, each sample labelled
with its lap, so the rules and the detector's post-processing run once over a race instead of
once per lap. Every step that reads them takes the labels (``segments``): no run crosses from
one lap into the next, and :func:`~telecnn.telemetry.events.table.split_events` gives each lap the
table it would have had alone.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class EndToEnd:
    """Column arrays of several laps laid end to end: ``segments`` holds each sample's lap
    (0, 1, ...), ``bounds`` each lap's first sample and then the total."""

    columns: dict[str, np.ndarray]
    segments: np.ndarray
    bounds: np.ndarray

    @property
    def count(self) -> int:
        return len(self.bounds) - 1


def end_to_end(laps: Sequence[Mapping[str, np.ndarray]], names: Sequence[str]) -> EndToEnd:
    """The ``names`` columns of ``laps`` (each has them all) laid end to end."""
    lengths = [len(lap[names[0]]) for lap in laps]
    bounds = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)
    columns = {name: np.concatenate([np.asarray(lap[name]) for lap in laps]) for name in names}
    return EndToEnd(columns, np.repeat(np.arange(len(laps)), lengths), bounds)


def groups(keys: Sequence[Hashable]) -> dict[Hashable, list[int]]:
    """The positions of equal keys, in first-seen order: the laps that can lie end to end."""
    out: dict[Hashable, list[int]] = {}
    for i, key in enumerate(keys):
        out.setdefault(key, []).append(i)
    return out
