"""Stopping is saving: a signal mid-epoch stops the one training loop at the next batch with a
checkpoint, and resuming it ends bit for bit where the uninterrupted run ends."""

from __future__ import annotations

import os
import signal
from pathlib import Path

import pytest
import torch
from torch import nn

from telecnn.training import RunSpec, TrainingStopped, fit, load_checkpoint, restore
from telecnn.training.stopping import StopSignals, rng_states, set_rng_states

KIND = "trace-classifier"
EPOCHS, BATCHES = 3, 8


def _data(n: int = 256, length: int = 32) -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(0)
    labels = torch.randint(0, 2, (n,), generator=g)
    traces = labels[:, None].float() + 0.8 * torch.randn(n, length, generator=g)
    return traces[:, None], labels


X, Y = _data()


def _setup():
    torch.manual_seed(0)
    model = nn.Sequential(  # dropout: the global generator matters to the result
        nn.Conv1d(1, 4, 3, padding=1), nn.ReLU(), nn.Dropout(0.3), nn.Flatten(), nn.Linear(128, 2)
    )
    optimizer = torch.optim.Adam(model.parameters(), lr=0.003)
    scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=3, gamma=0.7)
    return model, optimizer, scheduler


def _batches(signal_at: tuple[int, int, int] | None = None):
    """Each epoch's batches from a generator of its own; ``signal_at`` (epoch, batch, signal):
    send that signal (twice: the second is ignored) to this process while that batch is handed
    out, before it is trained (batch ``BATCHES``: once the epoch's last batch is trained)."""

    def send(epoch: int, k: int) -> None:
        if signal_at is not None and signal_at[:2] == (epoch, k):
            os.kill(os.getpid(), signal_at[2])
            os.kill(os.getpid(), signal_at[2])

    def batches(epoch: int):
        order = torch.randperm(len(X), generator=torch.Generator().manual_seed(epoch))
        for k, start in enumerate(range(0, len(X), len(X) // BATCHES)):
            send(epoch, k)
            idx = order[start : start + len(X) // BATCHES]
            yield X[idx], Y[idx]
        send(epoch, BATCHES)

    return batches


def _fit(model, optimizer, scheduler, batches, run_dir: Path | None, progress=None):
    spec = RunSpec(KIND, "tiny", {"c": 4}, run_dir=run_dir)
    return fit(
        model, optimizer, batches, nn.functional.cross_entropy, EPOCHS,
        scheduler=scheduler, spec=spec, progress=progress, show_progress=False,
        step_scheduler_per_batch=True,
    )  # fmt: skip


@pytest.mark.parametrize(("sig", "code"), [(signal.SIGTERM, 143), (signal.SIGINT, 130)])
def test_a_signal_mid_epoch_saves_and_the_resumed_run_is_bit_identical(
    tmp_path: Path, sig: int, code: int
) -> None:
    model, optimizer, scheduler = _setup()
    straight = _fit(model, optimizer, scheduler, _batches(), tmp_path / "straight")
    expected = {k: v.clone() for k, v in model.state_dict().items()}

    run_dir = tmp_path / "stopped"
    model, optimizer, scheduler = _setup()
    with pytest.raises(TrainingStopped) as stopped:
        _fit(model, optimizer, scheduler, _batches((1, 3, sig)), run_dir)
    assert stopped.value.exit_code == code and "in epoch 2, after 3 batches" in str(stopped.value)
    state = load_checkpoint(run_dir / "checkpoint.pt", kind=KIND)
    assert state["epoch"] == 1 and state["mid_epoch"]["batches_done"] == 3
    assert len(state["history"]) == 1  # the finished epoch's record; the partial one is kept
    assert signal.getsignal(sig) is not None  # the loop's handler is gone again

    model, optimizer, scheduler = _setup()
    spec = RunSpec(KIND, "tiny", {"c": 4}, run_dir=run_dir)
    progress = restore(state, spec, model, optimizer, scheduler)
    assert (progress.start_epoch, progress.batches_done) == (1, 3)
    resumed = _fit(model, optimizer, scheduler, _batches(), run_dir, progress)
    for name, value in model.state_dict().items():
        assert torch.equal(value, expected[name]), name
    assert [r["train_loss"] for r in resumed] == [r["train_loss"] for r in straight]
    assert load_checkpoint(run_dir / "checkpoint.pt", kind=KIND)["mid_epoch"] is None


def test_a_signal_in_the_last_batch_finishes_the_epoch_then_stops(tmp_path: Path) -> None:
    model, optimizer, scheduler = _setup()
    with pytest.raises(TrainingStopped, match="after epoch 1"):
        _fit(model, optimizer, scheduler, _batches((0, BATCHES, signal.SIGTERM)), tmp_path)
    state = load_checkpoint(tmp_path / "checkpoint.pt", kind=KIND)
    assert state["epoch"] == 1 and state["mid_epoch"] is None


def test_signals_are_ordinary_again_outside_training() -> None:
    before = signal.getsignal(signal.SIGTERM)
    with StopSignals() as stop:
        os.kill(os.getpid(), signal.SIGTERM)
        assert stop.received == signal.SIGTERM and stop.exit_code == 143
    assert signal.getsignal(signal.SIGTERM) == before


def test_random_states_round_trip() -> None:
    import random

    import numpy as np

    states = rng_states()
    a = (torch.rand(3), np.random.rand(3), random.random())
    set_rng_states(states)
    b = (torch.rand(3), np.random.rand(3), random.random())
    assert torch.equal(a[0], b[0]) and (a[1] == b[1]).all() and a[2] == b[2]
