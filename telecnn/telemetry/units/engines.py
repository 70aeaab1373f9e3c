"""Running units: one plain function (:func:`.work.process_unit`) on an existing engine, chosen
here at the edge. Locally, ``jobs`` worker processes (a :mod:`concurrent.futures` process pool;
one job runs in this process); beyond one machine, a Dask cluster (``distributed``'s
``Client.get_executor()``; ``"local"`` starts a ``LocalCluster``). No scheduler of our own:
the engine hands out the units, this module only counts what comes back.

The workers read the sources by the paths given (a shared file system or object store mounted
alike on every worker) and must run the same telecnn version.
"""

from __future__ import annotations

import multiprocessing
import signal
from collections.abc import Iterator
from concurrent.futures import Executor, Future, ProcessPoolExecutor, as_completed
from contextlib import contextmanager, nullcontext, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from telecnn.errors import TelecnnError, TrainingStopped, one_line
from telecnn.progress import progress_bar
from telecnn.telemetry.detector.numpy_engine import cores
from telecnn.telemetry.units.units import Unit
from telecnn.telemetry.units.work import UnitJob, UnitResult, process_unit, worker_threads

#: How long (s) a Dask scheduler that does not answer is waited for.
CLUSTER_TIMEOUT_S = 5


@dataclass
class Tally:
    """What a run over units came to: every unit's result (in the units' order; skipped
    units, already in the dataset folder, have none), and the signal that stopped it."""

    units: list[Unit]
    results: dict[str, UnitResult] = field(default_factory=dict)
    skipped: list[str] = field(default_factory=list)
    stopped: str | None = None

    @property
    def failed(self) -> list[UnitResult]:
        return [r for r in self.results.values() if r.error]

    @property
    def done(self) -> list[UnitResult]:
        return [r for r in self.ordered() if not r.error]

    def ordered(self) -> list[UnitResult]:
        return [self.results[u.name] for u in self.units if u.name in self.results]

    def line(self) -> str:
        """One line: ``22 of 24 units done (1 already there), 1 failed, 1 not run``."""
        total = len(self.units)
        finished = len(self.done) + len(self.skipped)
        parts = [f"{finished} of {total} units done"]
        if self.skipped:
            parts[0] += f" ({len(self.skipped)} already there)"
        if self.failed:
            parts.append(f"{len(self.failed)} failed")
        missing = total - finished - len(self.failed)
        if missing:
            parts.append(f"{missing} not run")
        return ", ".join(parts)


def run_units(
    units: list[Unit],
    job: UnitJob,
    out: str | Path | None = None,
    jobs: int | None = None,
    cluster: str | None = None,
    force: bool = False,
    progress: bool = True,
) -> Tally:
    """Run ``job`` on every unit, ``jobs`` at a time (default: the cores) or on the Dask
    ``cluster`` (an address, or ``"local"``); with ``out`` (a dataset folder: see
    :mod:`.dataset`) each unit's table is written there as it finishes and units already
    there are skipped. SIGTERM or Ctrl-C stops it: finished units are kept, the tally says
    which signal (``stopped``)."""
    from telecnn.training.run_folder import hold_run_folder

    tally = Tally(units)
    folder = None if out is None else Path(out)
    with hold_run_folder(folder) if folder is not None else nullcontext():
        todo = list(units)
        if folder is not None:
            from telecnn.telemetry.units.dataset import prepare

            done = prepare(folder, job.settings(), units, force)
            tally.skipped = [u.name for u in units if u.name in done]
            todo = [u for u in units if u.name not in done]
        jobs = max(1, min(jobs or cores(), max(1, len(todo))))  # one unit a core
        target = None if folder is None else str(folder)
        with _stop_on_signals(tally), _bar(len(units), len(tally.skipped), progress) as bar:
            for result in _results(todo, job, target, jobs, cluster):
                tally.results[result.unit.name] = result
                bar.update()
                bar.set_postfix(laps=sum(r.laps for r in tally.results.values()), refresh=False)
    return tally


def _results(
    units: list[Unit], job: UnitJob, out: str | None, jobs: int, cluster: str | None
) -> Iterator[UnitResult]:
    """Each unit's result as it comes, from the engine chosen."""
    if not units:
        return
    if cluster is not None:
        with dask_executor(cluster, jobs) as executor:
            yield from _from_executor(executor, units, job, out)
        return
    if jobs == 1:
        for unit in units:
            yield process_unit(unit, job, out)
        return
    context = multiprocessing.get_context("spawn")  # no threads or locks forked mid-use
    with ProcessPoolExecutor(jobs, context, worker_threads, (jobs,)) as executor:
        yield from _from_executor(executor, units, job, out)


def _from_executor(
    executor: Executor, units: list[Unit], job: UnitJob, out: str | None
) -> Iterator[UnitResult]:
    futures: dict[Future, Unit] = {executor.submit(process_unit, u, job, out): u for u in units}
    try:
        for future in as_completed(futures):
            try:
                yield future.result()
            except Exception as exc:  # the engine lost the unit (a worker died)
                yield UnitResult(futures[future], error=f"{futures[future].name}: {one_line(exc)}")
    finally:
        for future in futures:
            future.cancel()


@contextmanager
def dask_executor(cluster: str, jobs: int) -> Iterator[Executor]:
    """A ``concurrent.futures`` executor on Dask: a ``LocalCluster`` of ``jobs`` worker
    processes (``cluster == "local"``), or the scheduler at ``cluster`` (``tcp://host:8786``),
    refused in one line when it does not answer within :data:`CLUSTER_TIMEOUT_S`."""
    try:
        from distributed import Client, LocalCluster
    except ImportError:
        raise TelecnnError(
            "--cluster needs Dask's distributed package: pip install 'telecnn[dask]'"
        ) from None
    if cluster == "local":
        local = LocalCluster(
            n_workers=jobs, threads_per_worker=1, processes=True, dashboard_address=None
        )
        client = Client(local)
        client.run(worker_threads, jobs)  # this machine's cores shared as the local pool does
    else:
        local = None
        try:
            client = Client(cluster, timeout=f"{CLUSTER_TIMEOUT_S}s")
        except (OSError, TimeoutError) as exc:
            raise TelecnnError(
                f"cannot reach the Dask scheduler at {cluster}: {one_line(exc)}"
            ) from None
    try:
        yield client.get_executor()
    finally:
        client.close()
        if local is not None:
            local.close()


@contextmanager
def _stop_on_signals(tally: Tally) -> Iterator[None]:
    """SIGTERM (and Ctrl-C) stop the run between units' results: the finished units stay, those
    not started are cancelled, those running finish (each writes its file whole, so a rerun
    skips it), and the tally says which signal."""
    previous = {}

    def stop(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt(signal.Signals(signum).name)

    for sig in (signal.SIGTERM, signal.SIGHUP):
        with suppress(ValueError):  # not the main thread: leave signals alone
            previous[sig] = signal.signal(sig, stop)
    try:
        yield
    except KeyboardInterrupt as exc:
        tally.stopped = str(exc) or "SIGINT"
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


@contextmanager
def _bar(total: int, done: int, show: bool) -> Iterator[Any]:
    """A progress bar over units (with the laps so far) on stderr, gone when done."""
    bar = progress_bar(what="units", unit="unit", total=total, initial=done, show=show)
    try:
        yield bar
    finally:
        bar.close()


def stopped_error(tally: Tally, command: str, out: str | Path | None) -> TrainingStopped:
    """The one line a stopped run ends with, its exit code (130 Ctrl-C, 143 SIGTERM, 129
    SIGHUP) and how to go on."""
    codes = {"SIGINT": 130, "SIGTERM": 143, "SIGHUP": 129}
    again = f"; run it again to finish (--out {out} keeps the finished units)" if out else ""
    return TrainingStopped(
        f"stopped by {tally.stopped}: {tally.line()}{again}", codes.get(tally.stopped or "", 130)
    )
