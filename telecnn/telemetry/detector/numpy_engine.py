"""The event CNN's inference on NumPy: :func:`telecnn.kernels.conv1d` with each batch norm
folded into the convolution before it, so detection needs no torch.

:func:`fold_model` turns a trained :class:`~telecnn.telemetry.detector.model.EventCNN` (eval
mode) into plain arrays; :class:`NumpyEngine` runs them. The shipped detector is stored that
way too (``detector.npz``, read with ``allow_pickle=False``: nothing is unpickled), so
``detect-events`` loads neither torch nor a pickle. The torch path stays (``--engine torch``);
both give the same probabilities within 1e-5.
"""

from __future__ import annotations

import json
import os
import threading
import zipfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from telecnn.errors import CheckpointError, one_line, reading
from telecnn.kernels import conv1d
from telecnn.telemetry.detector.rule_inputs import StemInputs, with_rule_inputs

#: Every array a folded model holds, besides its blocks' ``block{k}.w1/b1/w2/b2``.
_TOP = ("stem.w", "stem.b", "head.w", "head.b")


@dataclass(frozen=True)
class FoldedModel:
    """The event CNN as arrays: conv weights ``(out, in, k)`` and biases with the batch norms
    folded in, its dilations and the fixed rows its stem reads (:class:`StemInputs`)."""

    arrays: dict[str, np.ndarray]
    dilations: tuple[int, ...]
    inputs: StemInputs

    @property
    def in_channels(self) -> int:
        return self.inputs.channels


def _fold(conv_weight: Any, bn: Any) -> tuple[np.ndarray, np.ndarray]:
    """A bias-free conv followed by an eval-mode batch norm, as one conv's weight and bias."""

    def f64(t: Any) -> np.ndarray:
        return t.detach().double().numpy()

    # all in float64 from the stored float32 values: the same on every CPU (torch's float32
    # kernels may round differently from one instruction set to the next)
    scale = f64(bn.weight) / np.sqrt(f64(bn.running_var) + bn.eps)
    shift = f64(bn.bias) - f64(bn.running_mean) * scale
    return f64(conv_weight) * scale[:, None, None], shift


def fold_model(model: Any) -> FoldedModel:
    """The arrays of a trained ``EventCNN`` (its convs, batch norms folded in; float64)."""
    from torch import nn

    stem_conv, stem_bn = model.stem[0], model.stem[1]
    arrays: dict[str, np.ndarray] = {}
    arrays["stem.w"], arrays["stem.b"] = _fold(stem_conv.weight, stem_bn)
    for k, block in enumerate(model.blocks):
        if not isinstance(block.skip, nn.Identity):
            raise CheckpointError("a residual block with a projection skip: not an event CNN")
        arrays[f"block{k}.w1"], arrays[f"block{k}.b1"] = _fold(block.conv1.weight, block.bn1)
        arrays[f"block{k}.w2"], arrays[f"block{k}.b2"] = _fold(block.conv2.weight, block.bn2)
    arrays["head.w"] = model.head.weight.detach().double().numpy()
    arrays["head.b"] = model.head.bias.detach().double().numpy()
    return FoldedModel(arrays, tuple(model.dilations), model.inputs)


def _same(weight: np.ndarray, dilation: int) -> int:
    return dilation * (weight.shape[-1] - 1) // 2


#: Grid samples (gaps included) the engine runs through the network at once.
CHUNK_SAMPLES = 16384

#: Zeros laid around each lap of a batch: at least the widest "same" padding of any layer
#: (checked when an engine is built).
GAP = 32


class NumpyEngine:
    """Event probabilities of padded grid inputs ``(N, 2C, T) -> (N, E, T)`` on NumPy."""

    def __init__(self, folded: FoldedModel, dtype: type = np.float32) -> None:
        self.folded = folded
        self.dtype = dtype
        # the stem in float64 always: it sums input rows of very different scales (values,
        # slopes in g, rule levels), and in float32 that alone moved probabilities by 1e-5
        self.arrays = {
            name: v.astype(np.float64 if name.startswith("stem.") else dtype)
            for name, v in folded.arrays.items()
        }
        widest = max(
            [_same(folded.arrays["stem.w"], 1)]
            + [_same(folded.arrays[f"block{k}.w1"], d) for k, d in enumerate(folded.dilations)]
        )
        if widest > GAP:
            raise CheckpointError(
                f"a layer pads {widest} samples, more than the NumPy engine's gap of {GAP}: "
                "use --engine torch"
            )

    def with_rule_inputs(self, x: np.ndarray) -> np.ndarray:
        """A batch ``(N, 2C, T)`` with its trend, slope and level rows (as
        ``EventCNN.with_rule_inputs``)."""
        return with_rule_inputs(x, self.folded.inputs, np)

    def logits(self, batch: np.ndarray) -> np.ndarray:
        """Logits of a batch ``(N, 2C, T) -> (N, E, T)``.

        The laps are laid end to end as one trace with :data:`GAP` zeros around each, and every
        layer is one :func:`~telecnn.kernels.conv1d` over the whole trace: the gaps are zeroed
        again after each layer, so no output sample sees another lap (no layer reaches further
        than the gap), and each lap sees zeros past its ends as a "same" padding does."""
        a = self.arrays
        n, _, t = batch.shape
        x = np.pad(self.with_rule_inputs(batch.astype(np.float64)), [(0, 0), (0, 0), (GAP, GAP)])

        def layer(h: np.ndarray, weight: str, bias: str, dilation: int = 1) -> np.ndarray:
            w = a[weight]
            return conv1d(h, w, a[bias], padding=_same(w, dilation), dilation=dilation)

        def rezero(h: np.ndarray) -> np.ndarray:
            """ReLU, then the gaps back to zero (in place; only the gaps are touched)."""
            np.maximum(h, 0.0, out=h)
            laps = h.reshape(len(h), n, t + 2 * GAP)
            laps[..., :GAP] = 0.0
            laps[..., GAP + t :] = 0.0
            return h

        h = x.transpose(1, 0, 2).reshape(x.shape[1], -1)
        h = rezero(layer(h, "stem.w", "stem.b")).astype(self.dtype)
        for k, d in enumerate(self.folded.dilations):
            out = rezero(layer(h, f"block{k}.w1", f"block{k}.b1", d))
            out = layer(out, f"block{k}.w2", f"block{k}.b2", d)
            out += h
            h = rezero(out)
        logits = layer(h, "head.w", "head.b")
        return logits.reshape(len(logits), n, t + 2 * GAP)[..., GAP : GAP + t].transpose(1, 0, 2)

    def __call__(self, batch: np.ndarray) -> np.ndarray:
        """Probabilities of a batch, a few laps at a time (measured: small chunks beat one big
        matrix product per layer, their arrays staying near the core); the chunks run on one
        thread per core, each with a single-threaded BLAS (NumPy's element-wise work would
        otherwise run on one core while the matrix products use them all). BLAS's thread count
        is process-wide, so concurrent calls take turns."""
        n, _, t = batch.shape
        step = max(1, CHUNK_SAMPLES // (t + 2 * GAP))
        chunks = [batch[i : i + step] for i in range(0, n, step)]
        workers = min(len(chunks), cores())
        if workers <= 1:
            logits = [self.logits(chunk) for chunk in chunks]
        else:
            from threadpoolctl import threadpool_limits

            with (
                _BLAS_LIMIT,
                threadpool_limits(limits=1, user_api="blas"),
                ThreadPoolExecutor(workers) as pool,
            ):
                logits = list(pool.map(self.logits, chunks))
        # clipped where exp would overflow float32: the probability is 0 (or 1) there anyway
        z = np.clip(np.concatenate(logits), -_LOGIT_LIMIT, _LOGIT_LIMIT)
        return (1.0 / (1.0 + np.exp(-z))).astype(np.float32)


#: The largest logit magnitude the sigmoid computes (exp(88) is near float32's largest value).
_LOGIT_LIMIT = 88.0


#: Held while BLAS is limited to one thread (a process-wide setting, restored on release).
_BLAS_LIMIT = threading.Lock()


#: An environment variable that caps the cores one process uses (a worker of several sets its
#: share: :func:`telecnn.telemetry.units.work.worker_threads`).
CORES_ENV = "TELECNN_CORES"


def cores() -> int:
    """The CPU cores this process may run on (at most :data:`CORES_ENV` where set)."""
    have = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    cap = os.environ.get(CORES_ENV, "")
    return max(1, min(have or 1, int(cap))) if cap.isdigit() else max(1, have or 1)


def save_folded(path: str | Path, folded: FoldedModel, meta: dict[str, Any]) -> None:
    """Write a folded model and the detector's ``meta`` (channels, normalisation, thresholds:
    what a checkpoint's ``extra`` holds) as one ``.npz`` of plain arrays, atomically."""
    from telecnn.atomic import atomic_path

    header = {
        "dilations": list(folded.dilations),
        "in_channels": folded.in_channels,
        **folded.inputs.header(),
        "meta": meta,
    }
    text = np.frombuffer(json.dumps(header).encode("utf-8"), dtype=np.uint8)
    with atomic_path(path) as tmp, open(tmp, "wb") as handle:
        np.savez(handle, header=text, **folded.arrays)


def load_folded(path: str | Path) -> tuple[FoldedModel, dict[str, Any]]:
    """A folded model and its meta from :func:`save_folded`'s file (no pickle is read); any
    other file, a truncated one, or one whose header or arrays are not an event CNN's, is a
    :class:`CheckpointError` (one line)."""
    what = "a folded event detector"
    try:
        with np.load(path, allow_pickle=False) as data:
            header = json.loads(bytes(data["header"]).decode("utf-8"))
            arrays = {name: data[name] for name in data.files if name != "header"}
    except (OSError, ValueError, KeyError, EOFError, RecursionError, zipfile.BadZipFile) as exc:
        raise CheckpointError(f"{path} is not {what}: {one_line(exc)[:160]}") from None
    with reading(path, what):
        if not isinstance(header, dict) or not isinstance(header.get("meta"), dict):
            raise TypeError(f"its header is a JSON {type(header).__name__} without a meta object")
        blocks = len(header["dilations"])
        wanted = set(_TOP) | {
            f"block{k}.{p}" for k in range(blocks) for p in ("w1", "b1", "w2", "b2")
        }
        if set(arrays) != wanted:
            raise CheckpointError(f"{path}: the arrays do not make an event CNN")
        header["trend_rows"], header["trend_lag"], header["trend_gain"]  # noqa: B018 - required
        folded = FoldedModel(
            arrays,
            tuple(int(d) for d in header["dilations"]),
            StemInputs.of(int(header["in_channels"]), header),
        )
    return folded, header["meta"]
