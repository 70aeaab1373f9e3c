"""The one training loop on a tiny 1D task: it learns, checkpoints atomically and resumes; the
run-folder rule every trainer follows (new, replaced, resumed, extended, complete)."""

from __future__ import annotations

import errno
import pathlib
import pickle
from pathlib import Path
from typing import BinaryIO

import pytest
import torch
from torch import nn

from telecnn.core import ConvNormAct, pool
from telecnn.errors import (
    CheckpointError,
    DataNotFoundError,
    RunCompleteError,
    RunFolderError,
    TelecnnError,
    WriteError,
)
from telecnn.training import (
    Progress,
    RunSpec,
    fit,
    load_checkpoint,
    plan_run,
    restore,
    save_checkpoint,
)

KIND = "trace-classifier"


def _data(seed: int, n: int = 256, length: int = 32) -> tuple[torch.Tensor, torch.Tensor]:
    """Noisy traces holding one step: up (label 1, a throttle pickup) or down (0, braking)."""
    g = torch.Generator().manual_seed(seed)
    labels = torch.randint(0, 2, (n,), generator=g)
    at = torch.randint(8, length - 8, (n, 1), generator=g)
    steps = (torch.arange(length)[None] >= at).float()
    traces = torch.where(labels[:, None] == 1, steps, 1.0 - steps)
    traces = traces + 0.5 * torch.randn(n, length, generator=g)
    return traces[:, None], labels


def _model(channels: int = 4, length: int = 32) -> nn.Module:
    return nn.Sequential(
        ConvNormAct(1, 1, channels, 3),
        pool(1, "max", 2),
        nn.Flatten(),
        nn.Linear(channels * length // 2, 2),
    )


def _setup(seed: int, lr: float = 0.003):
    torch.manual_seed(seed)
    model = _model()
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=1, gamma=0.7)
    return model, optimizer, scheduler


@pytest.fixture(autouse=True, scope="module")
def one_thread():
    """Tiny models gain nothing from threads; on a busy 2-core machine they only contend."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


X, Y = _data(0)
X_TEST, Y_TEST = _data(1, n=128)


def _batches(epoch: int):
    order = torch.randperm(len(X), generator=torch.Generator().manual_seed(epoch))
    for start in range(0, len(X), 32):
        idx = order[start : start + 32]
        yield X[idx], Y[idx]


def _evaluate(model: nn.Module) -> dict[str, float]:
    model.eval()
    with torch.no_grad():
        logits = model(X_TEST)
    return {
        "test_loss": nn.functional.cross_entropy(logits, Y_TEST).item(),
        "test_acc": (logits.argmax(1) == Y_TEST).float().mean().item(),
    }


def _correct(outputs: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    return (outputs.argmax(1) == targets).sum()


def _fit(
    model,
    optimizer,
    scheduler,
    epochs: int,
    spec: RunSpec | None = None,
    progress: Progress | None = None,
) -> list[dict[str, float]]:
    return fit(
        model,
        optimizer,
        _batches,
        nn.functional.cross_entropy,
        epochs,
        scheduler=scheduler,
        steps_per_epoch=8,
        evaluate=_evaluate,
        correct_fn=_correct,
        spec=spec,
        progress=progress,
        show_progress=False,
    )


def _spec(run_dir: Path, channels: int = 4) -> RunSpec:
    return RunSpec(KIND, "tiny-step", {"channels": channels}, run_dir=run_dir, extra={"len": 32})


def test_loss_decreases_and_the_model_learns_the_steps() -> None:
    history = _fit(*_setup(0), epochs=6)
    assert [int(r["epoch"]) for r in history] == [1, 2, 3, 4, 5, 6]
    losses = [r["train_loss"] for r in history]
    assert all(later < earlier for earlier, later in zip(losses, losses[1:], strict=False))
    assert losses[-1] < 0.6 * losses[0]
    assert history[-1]["test_acc"] > 0.9
    assert history[-1]["lr"] == pytest.approx(0.003 * 0.7**6)


def test_checkpoint_is_written_atomically_and_a_run_resumes(tmp_path: Path) -> None:
    run_dir = tmp_path / "run"
    model, optimizer, scheduler = _setup(0)
    first = _fit(model, optimizer, scheduler, epochs=2, spec=_spec(run_dir))
    assert sorted(p.name for p in run_dir.iterdir()) == ["checkpoint.pt", "history.json"]
    state = load_checkpoint(run_dir, kind=KIND)
    assert state["epoch"] == 2 and state["history"] == first and state["extra"] == {"len": 32}
    for name, tensor in model.state_dict().items():
        assert torch.equal(state["model_state"][name], tensor)

    # a save that dies half-way leaves the last good checkpoint and no temp file behind
    def broken_save(obj: object, out: BinaryIO) -> None:
        out.write(b"half a checkpoint")
        raise OSError(errno.ENOSPC, "No space left on device")

    original = torch.save
    torch.save = broken_save  # what the checkpoint module calls (it imports torch when saving)
    try:
        with pytest.raises(
            WriteError, match="no space left on device .nothing written; the previous"
        ):
            save_checkpoint(run_dir / "checkpoint.pt", {"kind": KIND, "epoch": 99})
    finally:
        torch.save = original
    assert load_checkpoint(run_dir, kind=KIND)["epoch"] == 2
    assert sorted(p.name for p in run_dir.iterdir()) == ["checkpoint.pt", "history.json"]

    fresh, fresh_opt, fresh_sched = _setup(seed=123)
    plan = plan_run(run_dir, resume=True, kind=KIND, epochs=4)
    assert plan.state is not None
    progress = restore(plan.state, _spec(run_dir), fresh, fresh_opt, fresh_sched)
    assert progress.start_epoch == 2 and progress.history == first
    assert fresh_opt.param_groups[0]["lr"] == pytest.approx(0.003 * 0.7**2)
    for name, tensor in model.state_dict().items():
        assert torch.equal(fresh.state_dict()[name], tensor)
    history = _fit(fresh, fresh_opt, fresh_sched, epochs=4, spec=_spec(run_dir), progress=progress)
    assert [int(r["epoch"]) for r in history] == [1, 2, 3, 4]
    assert history[:2] == first
    assert history[-1]["lr"] == pytest.approx(0.003 * 0.7**4)
    assert load_checkpoint(run_dir, kind=KIND)["epoch"] == 4


def test_resume_refuses_another_model_config(tmp_path: Path) -> None:
    model, optimizer, scheduler = _setup(0)
    _fit(model, optimizer, scheduler, epochs=1, spec=_spec(tmp_path))
    state = plan_run(tmp_path, resume=True, kind=KIND).state
    assert state is not None
    with pytest.raises(CheckpointError, match="was trained as tiny-step"):
        restore(state, _spec(tmp_path, channels=8), *_setup(0))
    with pytest.raises(TelecnnError, match="epochs must be at least 1"):
        _fit(*_setup(0), epochs=0)


def test_run_folder_rule(tmp_path: Path) -> None:
    run_dir = tmp_path / "run"
    assert not plan_run(run_dir, resume=False).replaces  # a new folder: nothing to check
    with pytest.raises(RunFolderError, match="nothing to resume: no checkpoint in"):
        plan_run(run_dir, resume=True)
    _fit(*_setup(0), epochs=2, spec=_spec(run_dir))
    (run_dir / "done.json").write_text("{}")  # a pipeline's mark of a finished run
    with pytest.raises(RunFolderError, match="already holds a run: continue it with --resume"):
        plan_run(run_dir, resume=False)
    with pytest.raises(RunFolderError, match="give only one"):
        plan_run(run_dir, resume=True, force=True)
    with pytest.raises(CheckpointError, match="not an event-detector"):
        plan_run(run_dir, resume=True, kind="event-detector")
    # complete at its epochs; fewer epochs than it has is refused too; more extends it
    with pytest.raises(RunCompleteError, match=r"already complete \(2 epochs\): give --epochs"):
        plan_run(run_dir, resume=True, kind=KIND, epochs=2)
    with pytest.raises(RunFolderError, match="has 2 epochs already, more than --epochs 1"):
        plan_run(run_dir / "checkpoint.pt", resume=True, epochs=1)
    plan = plan_run(run_dir / "checkpoint.pt", resume=True, epochs=3, finished_marker="done.json")
    assert plan.resuming and plan.run_dir == run_dir and plan.done_epochs == 2
    # without its finished mark, a run at its last epoch is only finished, not refused
    (run_dir / "done.json").unlink()
    assert plan_run(run_dir, resume=True, epochs=2, finished_marker="done.json").resuming
    # --force: a new run replaces the old one, whose files go only when asked
    (run_dir / "done.json").write_text("{}")
    replaced = plan_run(run_dir, resume=False, force=True, finished_marker="done.json")
    assert replaced.replaces and not replaced.resuming
    assert (run_dir / "checkpoint.pt").exists()
    replaced.discard_previous()
    assert list(run_dir.iterdir()) == []
    (run_dir / "done.json").write_text("{}")  # a finished mark alone still marks a run
    with pytest.raises(RunFolderError, match="already holds a run"):
        plan_run(run_dir, resume=False, finished_marker="done.json")


def test_an_extended_run_re_plans_its_schedule(tmp_path: Path) -> None:
    def cosine(epochs: int):
        model, optimizer, _ = _setup(0)
        return model, optimizer, torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, epochs)

    run_dir = tmp_path / "run"
    model, optimizer, scheduler = cosine(2)
    first = _fit(model, optimizer, scheduler, epochs=2, spec=_spec(run_dir))
    assert first[-1]["lr"] == pytest.approx(0.0)  # a cosine run ends at zero learning rate
    # planned for 4 epochs, the run is half-way: the schedule continues from there
    model, optimizer, scheduler = cosine(4)
    plan = plan_run(run_dir, resume=True, kind=KIND, epochs=4)
    progress = restore(plan.state, _spec(run_dir), model, optimizer, scheduler)
    assert optimizer.param_groups[0]["lr"] == pytest.approx(0.003 * 0.5)
    history = _fit(model, optimizer, scheduler, epochs=4, spec=_spec(run_dir), progress=progress)
    assert [int(r["epoch"]) for r in history] == [1, 2, 3, 4] and history[:2] == first
    assert [r["lr"] for r in history[2:]] == pytest.approx([0.003 * (1 - 0.5**0.5) / 2, 0.0])
    assert history[3]["train_loss"] < first[-1]["train_loss"]
    state = load_checkpoint(run_dir, kind=KIND)
    assert state["epoch"] == 4 and state["scheduler_state"]["T_max"] == 4


def test_autocast_covers_the_forward_pass_and_loss_only() -> None:
    seen: list[tuple[torch.dtype, bool]] = []
    evaluated_under_autocast: list[bool] = []

    def loss_fn(outputs: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        seen.append((outputs.dtype, torch.is_autocast_enabled("cpu")))
        return nn.functional.cross_entropy(outputs, targets)

    def evaluate(model: nn.Module) -> dict[str, float]:
        evaluated_under_autocast.append(torch.is_autocast_enabled("cpu"))
        return _evaluate(model)

    model, optimizer, scheduler = _setup(0)
    history = fit(
        model,
        optimizer,
        _batches,
        loss_fn,
        2,
        scheduler=scheduler,
        evaluate=evaluate,
        show_progress=False,
        autocast=torch.bfloat16,
    )
    assert seen and set(seen) == {(torch.bfloat16, True)}
    assert evaluated_under_autocast == [False, False]
    assert all(p.dtype == torch.float32 for p in model.parameters())
    assert history[1]["train_loss"] < history[0]["train_loss"]
    assert not torch.is_autocast_enabled("cpu")


@pytest.mark.filterwarnings("ignore:Detected pickle protocol")
def test_load_checkpoint_refuses_foreign_files_and_never_unpickles(tmp_path: Path) -> None:
    ours = tmp_path / "ours.pt"
    save_checkpoint(ours, {"kind": KIND, "model_name": "tiny-step", "model_state": {}})
    with pytest.raises(
        CheckpointError, match="holds a trace-classifier model .* not an event-detector"
    ):
        load_checkpoint(ours, kind="event-detector")

    foreign = tmp_path / "foreign.pt"
    torch.save({"model_state": _model().state_dict()}, foreign)
    with pytest.raises(CheckpointError, match="is not a telecnn checkpoint"):
        load_checkpoint(foreign)

    text = tmp_path / "notes.pt"
    text.write_text("not a checkpoint at all")
    with pytest.raises(CheckpointError, match="not a readable telecnn checkpoint"):
        load_checkpoint(text)

    class Payload:
        def __init__(self, marker: Path) -> None:
            self.marker = marker

        def __reduce__(self):
            return (pathlib.Path.touch, (self.marker,))

    marker = tmp_path / "payload-ran"
    hostile = tmp_path / "hostile.pt"
    hostile.write_bytes(pickle.dumps(Payload(marker)))
    pickle.loads(hostile.read_bytes())  # an unrestricted unpickler runs the payload...
    assert marker.exists()
    marker.unlink()
    with pytest.raises(CheckpointError, match="not a readable telecnn checkpoint"):
        load_checkpoint(hostile)
    assert not marker.exists()  # ...load_checkpoint does not
    with pytest.raises(DataNotFoundError, match="no checkpoint at"):
        load_checkpoint(tmp_path / "missing")


def test_recalibrated_batch_norm_holds_the_average_of_the_batch_statistics() -> None:
    from telecnn.training.batch_norm import recalibrate_batch_norm

    torch.manual_seed(0)
    block = nn.Sequential(ConvNormAct(1, 2, 4, kernel_size=3), ConvNormAct(1, 4, 3, kernel_size=3))
    for _ in range(5):  # some training: running averages and a step count to keep
        block(torch.randn(8, 2, 30) * 3 + 1)
    steps = [m.num_batches_tracked.item() for m in block.modules() if isinstance(m, nn.BatchNorm1d)]
    batches = [torch.randn(16, 2, 30) * 2 - 1 for _ in range(4)]
    seen: dict[nn.Module, list[torch.Tensor]] = {}
    hooks = [
        m.register_forward_hook(lambda mod, inp, out: seen.setdefault(mod, []).append(inp[0]))
        for m in block.modules()
        if isinstance(m, nn.BatchNorm1d)
    ]
    block.eval()
    assert recalibrate_batch_norm(block, iter(batches)) == 4
    for hook in hooks:
        hook.remove()
    assert not block.training  # the mode is restored
    for i, (bn, inputs) in enumerate(seen.items()):
        means = torch.stack([x.mean((0, 2)) for x in inputs]).mean(0)
        variances = torch.stack([x.var((0, 2), unbiased=True) for x in inputs]).mean(0)
        torch.testing.assert_close(bn.running_mean, means)
        torch.testing.assert_close(bn.running_var, variances)
        assert bn.momentum == 0.1 and bn.num_batches_tracked.item() == steps[i]
    before = [m.running_mean.clone() for m in block.modules() if isinstance(m, nn.BatchNorm1d)]
    assert recalibrate_batch_norm(block, iter([])) == 0  # nothing seen: nothing changes
    after = [m.running_mean for m in block.modules() if isinstance(m, nn.BatchNorm1d)]
    assert all(torch.equal(a, b) for a, b in zip(before, after, strict=True))
