"""The work done on one unit, as one plain function of the unit and the job: what runs in a
worker process or on a Dask worker, the same either way."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import pandas as pd

from telecnn.errors import one_line
from telecnn.telemetry.units.units import Unit

#: The commands that run unit by unit.
COMMANDS = ("detect-events", "summarize", "eval-events")


@dataclass(frozen=True)
class UnitJob:
    """What to do with every unit (plain values: a job travels to worker processes and Dask
    workers). ``detector``: ``"cnn"``, ``"rules"`` or a model's path."""

    command: str = "detect-events"
    detector: str = "cnn"
    engine: str = "numpy"
    channels: tuple[str, ...] | None = None
    drivers: tuple[str, ...] | None = None
    laps: str | None = None
    lap_filter: str = "clean"
    laps_file: str | None = None
    location_file: str | None = None
    drivers_file: str | None = None
    corners_file: str | None = None
    cache: str | None = None
    offline: bool = False
    min_confidence: float = 0.0
    batch_size: int = 64
    #: Show progress within a unit (a file far larger than a race, run alone).
    progress: bool = False

    def settings(self) -> dict[str, Any]:
        """What makes two runs' files alike (a dataset folder keeps one run's): every field
        that changes a unit's table, not those of how it is run; files by where they are
        (``laps.csv`` and ``./laps.csv`` are one)."""
        how = {"engine", "batch_size", "progress", "cache", "offline"}
        out = {}
        for name, value in asdict(self).items():
            if name in how:
                continue
            if name.endswith("_file") and value is not None:
                value = str(Path(value).resolve())
            out[name] = list(value) if isinstance(value, tuple) else value
        return out


@dataclass
class UnitResult:
    """What one unit gave: its laps, its table (events, or the per-lap summary; None where it
    was written to the dataset folder and is not needed back), its scores (eval-events), the
    notes of picking its laps, the file written, or the one-line reason it failed."""

    unit: Unit
    laps: int = 0
    events: int = 0
    table: pd.DataFrame | None = None
    scores: dict[str, Any] | None = None
    notes: list[str] = field(default_factory=list)
    written: str | None = None
    error: str | None = None


def process_unit(unit: Unit, job: UnitJob, out_dir: str | None = None) -> UnitResult:
    """Load the unit's laps, run the job's detector on them and make its table (or scores);
    with ``out_dir``, write the table there as the unit's file (atomically: a unit's file is
    whole or not there). A unit that fails gives its one-line reason, never an exception."""
    try:
        return _process(unit, job, out_dir)
    except Exception as exc:  # one broken unit is reported; the others go on
        return UnitResult(unit, error=f"{unit.name}: {one_line(exc)}")


def _process(unit: Unit, job: UnitJob, out_dir: str | None) -> UnitResult:
    notes: list[str] = []
    detector = unit_detector(job.detector, job.engine, job.channels)
    result = UnitResult(unit)
    tables, scores = [], []
    for laps in unit_laps(unit, job, notes):  # a chunk of laps at a time for a large file
        result.laps += len(laps)
        outcome = _work(laps, detector, job)
        if job.command == "eval-events":
            scores.append(outcome)
        else:
            tables.append(unit_table(unit, laps, outcome, job))
            result.events += sum(len(f) for f in outcome)
        del laps, outcome  # a large file's next chunk is read without this one
    result.notes = [f"{unit.name}: {n}" for n in notes]
    if job.command == "eval-events":
        from telecnn.telemetry.detector.evaluate import merge_scores

        result.scores = merge_scores(scores)
        return result
    result.table = pd.concat(tables, ignore_index=True) if tables else pd.DataFrame()
    if out_dir is not None:
        from telecnn.telemetry.units.dataset import write_unit

        result.written = str(write_unit(Path(out_dir), unit, result.table, job.command))
        if job.command == "detect-events":
            result.table = None  # on disk: the parent needs only the counts
    return result


def unit_laps(unit: Unit, job: UnitJob, notes: list[str]) -> Iterator[list]:
    """The unit's laps with their status, all at once, or a chunk at a time where the unit is
    one file far larger than a race (:mod:`telecnn.telemetry.sources.stream`); with the
    job's corners where given."""
    from telecnn.telemetry.sources import load_laps
    from telecnn.telemetry.sources.files import chunked

    drivers = list(job.drivers) if job.drivers else None
    if len(unit.files) == 1 and chunked(unit.files[0]):
        from telecnn.telemetry.sources.stream import stream_laps

        chunks = stream_laps(unit.files[0], drivers, job.laps, job.laps_file, job.lap_filter,
                             notes, progress=job.progress)  # fmt: skip
    else:
        chunks = iter([load_laps(
            session=unit.session, files=list(unit.files) or None, drivers=drivers, laps=job.laps,
            laps_file=job.laps_file, location_file=job.location_file,
            drivers_file=job.drivers_file, lap_filter=job.lap_filter, cache=job.cache,
            offline=job.offline, notes=notes,
        )])  # fmt: skip
    corners = None
    if job.corners_file:
        from telecnn.telemetry.sources.corners import read_corners

        corners = read_corners(job.corners_file)  # once, not once a chunk
    for laps in chunks:
        if corners is not None:
            from telecnn.telemetry.analysis.corners import with_corners

            with_corners(laps, corners, job.corners_file)
        yield laps


def _work(laps: list, detector: Any, job: UnitJob) -> Any:
    """The job's work on some laps: their scores (eval-events) or their events."""
    from telecnn.telemetry.analysis.corners import label_laps
    from telecnn.telemetry.detector.running import detect_laps

    channels = list(job.channels) if job.channels else None
    if job.command == "eval-events":
        from telecnn.telemetry.detector.scoring import evaluate_laps

        return evaluate_laps(laps, detector, channels)
    found = detect_laps(laps, detector, channels, batch_size=job.batch_size)
    if job.min_confidence > 0:
        found = [f[f["confidence"] >= job.min_confidence].reset_index(drop=True) for f in found]
    return label_laps(laps, found)


def unit_table(unit: Unit, laps: list, found: list[pd.DataFrame], job: UnitJob) -> pd.DataFrame:
    """The unit's table: its events (detect-events) or its per-lap summary (summarize), with
    ``source`` (the unit) and ``session`` columns first, then ``driver`` and ``lap``."""
    from telecnn.telemetry.analysis.lap_summary import summarize_laps
    from telecnn.telemetry.analysis.tables import all_events, session_name

    if job.command == "summarize":
        table = summarize_laps(laps, found, list(job.channels) if job.channels else None)
    else:
        table = all_events(laps, found, keys=True)
    table.insert(0, "session", session_name(laps))
    table.insert(0, "source", unit.name)
    return table


@lru_cache(maxsize=4)
def unit_detector(detector: str, engine: str, channels: tuple[str, ...] | None) -> Any:
    """The detector a job names, loaded once per process (a worker keeps it for every unit)."""
    from telecnn.telemetry.detector.running import choose_detector

    if detector == "cnn" or detector == "rules":
        return choose_detector(detector, list(channels) if channels else None, engine)
    return choose_detector(Path(detector), list(channels) if channels else None, engine)


def worker_threads(jobs: int) -> None:
    """Set a worker process's share of the cores: the cores divided between the ``jobs``
    workers, for the NumPy engine's threads, BLAS's and pyarrow's, so they do not fight over
    them (BLAS threads spinning on a core another worker needs made two workers slower than
    one)."""
    import pyarrow
    from threadpoolctl import threadpool_limits

    from telecnn.telemetry.detector.numpy_engine import CORES_ENV, cores

    share = max(1, cores() // max(1, jobs))
    os.environ[CORES_ENV] = str(share)
    threadpool_limits(limits=share)  # this process's BLAS and OpenMP pools, from now on
    pyarrow.set_cpu_count(share)
