"""A file far larger than a race, lap by lap in bounded memory.

Two passes over the file, a chunk of whole laps at a time (:func:`~.files.frame_chunks`): the
first keeps of each lap only what judging its status needs (:class:`~telecnn.telemetry.laps.
status.LapTrace`, and the positions of a few laps that could give the racing line), decides
every lap's status against its session (timing matched over all of them at once) and picks the
laps asked for; the second cleans only the chosen laps' rows of each chunk and hands them on,
each with its final status. Memory follows the chunk, not the file; the file is read twice.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator
from pathlib import Path

import numpy as np
import pandas as pd

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
from telecnn.telemetry.sources.timing import teams_beside

#: How many laps a driver keeps for the racing line while a file streams by (its fastest).
LINE_CANDIDATES = 2


class _Stand:
    """A lap standing in for itself once its samples are gone: its metadata and its first and
    last times, what timing is matched by and laps are picked by."""

    def __init__(self, meta: LapMeta, position: int, duration: float = 0.0) -> None:
        self.meta, self.position = meta, position
        self.times = np.array([0.0, duration])


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
    teams = teams_beside(path)
    metas: list[LapMeta] = []
    traces: list[LapTrace] = []
    paths: dict[int, tuple[np.ndarray, np.ndarray]] = {}
    chunks = frame_chunks(path, rows)
    for chunk in progress_bar(chunks, what="judging laps", unit="chunk", show=progress):
        for lap in frame_laps(chunk, base, path, held, teams):
            position = len(metas)
            metas.append(lap.meta)
            traces.append(lap_trace(lap))
            _keep_line(paths, position, lap, metas, traces)
    keys = [(meta.driver, meta.lap_number) for meta in metas]  # the rows' own, as read
    if timing is not None:  # matched over every lap of the file at once, as a whole file is
        stands = [_Stand(meta, k, traces[k].duration) for k, meta in enumerate(metas)]
        metas = [stand.meta for stand in timed(stands, timing)]
    final = judge_metas(metas, traces, paths)
    chosen, left = select_laps(
        [_Stand(m, k) for k, m in enumerate(final)], drivers, choice, path.name, lap_filter, held
    )
    if notes is not None:
        notes += left
    wanted = {keys[stand.position]: final[stand.position] for stand in chosen}
    chunks = frame_chunks(path, rows)
    for chunk in progress_bar(chunks, what="detecting", unit="chunk", show=progress):
        picked = chunk if len(wanted) == len(keys) else _rows_of(chunk, wanted)
        del chunk  # only the laps handed on stay alive while the next chunk is read
        out = frame_laps(picked, base, path, teams=teams) if len(picked) else []
        for lap in out:  # timed and judged in the first pass; only those picked are cleaned
            lap.meta = wanted[(lap.meta.driver, lap.meta.lap_number)]
        del picked
        if out:
            yield out
        del out


def _rows_of(chunk: pd.DataFrame, laps: Collection[tuple[str | None, int | None]]) -> pd.DataFrame:
    """The chunk's rows of ``laps`` (driver and lap number, as the rows say them)."""
    if not laps:
        return chunk.iloc[:0]
    key = pd.MultiIndex.from_arrays(
        [chunk["Driver"].astype(str), pd.to_numeric(chunk["LapNumber"], errors="coerce")]
    )
    return chunk[key.isin(list(laps))]


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
