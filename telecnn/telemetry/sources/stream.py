"""A file far larger than a race, lap by lap in bounded memory.

Two passes over the file, a chunk of whole laps at a time (:func:`~.files.frame_chunks`): the
first keeps of each lap only what judging its status needs (:class:`~telecnn.telemetry.laps.
status.LapTrace`, and the positions of a few laps that could give the racing line), decides
every lap's status against its session and picks the laps asked for; the second cleans each
chunk again and hands its chosen laps on, each with its final status. Memory follows the chunk,
not the file; the file is read twice.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np

from telecnn.progress import progress_bar
from telecnn.telemetry.laps.schema import Lap, LapMeta
from telecnn.telemetry.laps.status import LapTrace, judge_metas, lap_trace
from telecnn.telemetry.sources.files import frame_chunks, frame_laps, load_timing, timed
from telecnn.telemetry.sources.selection import (
    Held,
    LapSelection,
    parse_lap_choice,
    select_laps,
)

#: How many laps a driver keeps for the racing line while a file streams by (its fastest).
LINE_CANDIDATES = 2


class _Stand:
    """A lap's final metadata standing in for it while laps are picked (``meta`` only)."""

    def __init__(self, meta: LapMeta, position: int) -> None:
        self.meta, self.position = meta, position


def stream_laps(
    path: str | Path,
    drivers: list[str] | str | None = None,
    laps: LapSelection = None,
    laps_file: str | Path | None = None,
    lap_filter: str = "clean",
    notes: list[str] | None = None,
    rows: int | None = None,
    progress: bool = False,
) -> Iterator[list[Lap]]:
    """The laps of a multi-lap Parquet or CSV file, a chunk at a time, each with its status
    and only those ``laps`` chooses (as :func:`~telecnn.telemetry.sources.load_laps` would
    give them all at once); what picking left out is added to ``notes``."""
    path = Path(path)
    choice = parse_lap_choice(laps, default="all")
    timing = None if laps_file is None else load_timing(laps_file)
    base = LapMeta(source=f"file:{path.name}")  # what the file says of its laps: its name
    held = Held()
    metas: list[LapMeta] = []
    traces: list[LapTrace] = []
    paths: dict[int, tuple[np.ndarray, np.ndarray]] = {}
    chunks = frame_chunks(path, rows)
    for chunk in progress_bar(chunks, what="judging laps", unit="chunk", show=progress):
        laps = frame_laps(chunk, base, path, held)
        for lap in laps if timing is None else timed(laps, timing):
            trace = lap_trace(lap)
            position = len(metas)
            metas.append(lap.meta)
            traces.append(trace)
            _keep_line(paths, position, lap, metas, traces)
    final = judge_metas(metas, traces, paths)
    chosen, left = select_laps(
        [_Stand(m, k) for k, m in enumerate(final)], drivers, choice, path.name, lap_filter, held
    )
    if notes is not None:
        notes += left
    keep = {stand.position for stand in chosen}
    position = 0
    chunks = frame_chunks(path, rows)
    for chunk in progress_bar(chunks, what="detecting", unit="chunk", show=progress):
        out = []
        for lap in frame_laps(chunk, base, path):  # timed and judged in the first pass
            if position in keep:
                lap.meta = final[position]
                out.append(lap)
            position += 1
        del chunk  # only the laps handed on stay alive while the next chunk is read
        if out:
            yield out
        del out


def _keep_line(
    paths: dict[int, tuple[np.ndarray, np.ndarray]],
    position: int,
    lap: Lap,
    metas: list[LapMeta],
    traces: list[LapTrace],
) -> None:
    """Keep the positions of each driver's :data:`LINE_CANDIDATES` fastest laps that could
    give the racing line (the rest are dropped as the file streams by)."""
    if not traces[position].racing:
        return
    cols = lap.columns
    paths[position] = (cols["X"].astype(float), cols["Y"].astype(float))
    mine = [k for k in paths if metas[k].driver == lap.meta.driver]
    if len(mine) > LINE_CANDIDATES:
        del paths[max(mine, key=lambda k: traces[k].duration)]
