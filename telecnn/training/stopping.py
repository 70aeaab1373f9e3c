"""Stopping is saving: SIGTERM or SIGINT during training ends the run at the next batch
boundary with a checkpoint it resumes from, bit for bit.

:class:`StopSignals` turns the first SIGTERM (what SLURM, Kubernetes, systemd and ``timeout``
send) or SIGINT (Ctrl-C) into a request the training loop reads between batches; a second
signal while the checkpoint is written is ignored until it is renamed into place. Under
``torchrun`` every rank checks the request with the others each batch (every few on GPUs,
where it costs a device sync: :func:`agreed`), so all stop at the same one.
:func:`rng_states` / :func:`set_rng_states` carry the random generators across the stop (the
epoch's sample order and augmentation come from generators seeded by the run's seed and the
epoch, replayed up to the batch the run stopped at).
"""

from __future__ import annotations

import random
import signal
import sys
import threading
from types import FrameType
from typing import Any

import numpy as np
import torch

from telecnn.training.distributed import DistContext

#: The exit code of a run stopped by each signal (the shell's 128 + signal number).
EXIT_CODES = {signal.SIGTERM: 143, signal.SIGINT: 130}


class StopSignals:
    """While active (a ``with`` block in the main thread), SIGTERM and SIGINT set
    :attr:`received` instead of ending the process; the previous handlers come back after."""

    def __init__(self) -> None:
        self.received: int | None = None
        self._previous: dict[int, Any] = {}

    def __enter__(self) -> StopSignals:
        if threading.current_thread() is threading.main_thread():
            for sig in EXIT_CODES:
                self._previous[sig] = signal.signal(sig, self._handle)
        return self

    def __exit__(self, *exc: object) -> None:
        for sig, handler in self._previous.items():
            signal.signal(sig, handler)
        self._previous.clear()

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        if self.received is None:
            self.received = signum
            print(
                f"\n{signal_name(signum)}: stopping at the end of this batch and saving a "
                "checkpoint (further signals are ignored until it is written)",
                file=sys.stderr,
                flush=True,
            )

    @property
    def exit_code(self) -> int:
        return EXIT_CODES.get(self.received or signal.SIGTERM, 143)


def signal_name(signum: int | None) -> str:
    """``SIGTERM``, ``SIGINT``... (``a stop request`` when no signal came)."""
    return signal.Signals(signum).name if signum else "a stop request"


def agreed(requested: bool, ctx: DistContext, device: torch.device) -> bool:
    """Whether any rank asks to stop (every rank calls this at the same batch; ``device``:
    where this rank's collectives run)."""
    if not ctx.enabled:
        return requested
    import torch.distributed as dist

    flag = torch.tensor([1.0 if requested else 0.0], device=device)
    dist.all_reduce(flag)
    return bool(flag.item() > 0)


def rng_states() -> dict[str, Any]:
    """Every global random generator's state, as a checkpoint (``weights_only``) stores it."""
    kind, keys, pos, has_gauss, cached = np.random.get_state()
    out: dict[str, Any] = {
        "torch": torch.get_rng_state(),
        "numpy": [kind, torch.from_numpy(np.asarray(keys, dtype=np.int64)), pos, has_gauss, cached],
        "python": _listed(random.getstate()),
    }
    if torch.cuda.is_available() and torch.cuda.is_initialized():
        out["cuda"] = torch.cuda.get_rng_state_all()
    return out


def set_rng_states(states: dict[str, Any]) -> None:
    """Put back the generators :func:`rng_states` saved."""
    torch.set_rng_state(states["torch"])
    kind, keys, pos, has_gauss, cached = states["numpy"]
    np.random.set_state((kind, keys.numpy().astype(np.uint32), pos, has_gauss, cached))
    random.setstate(_tupled(states["python"]))
    if "cuda" in states and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(states["cuda"])


def gathered_rng_states(ctx: DistContext) -> list[dict[str, Any]]:
    """Every rank's :func:`rng_states`, in rank order (rank 0 writes them all)."""
    mine = rng_states()
    if not ctx.enabled:
        return [mine]
    import torch.distributed as dist

    every: list[Any] = [None] * ctx.world_size
    dist.all_gather_object(every, {k: v for k, v in mine.items() if k != "cuda"})
    every[ctx.rank] = mine
    return every


def _listed(state: Any) -> Any:
    return [_listed(x) for x in state] if isinstance(state, tuple) else state


def _tupled(state: Any) -> Any:
    return tuple(_tupled(x) for x in state) if isinstance(state, list) else state
