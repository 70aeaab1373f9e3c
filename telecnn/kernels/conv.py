"""Cross-correlation in NumPy with torch's conventions: padding, stride, dilation, groups.

``conv1d`` and ``conv2d`` compute what ``torch.nn.functional.conv1d`` / ``conv2d`` compute on one
(unbatched) sample, without importing torch. The work is vectorised over output positions: the
only Python loop runs over the kernel taps, each tap taking one shifted (strided, dilated) slice
of the input; with several channels the slices are stacked and met by the weights in one matrix
product (the "im2col" form of a convolution; a stack over 256 MiB adds the taps' products one
at a time instead). A 1D trace
with one channel and stride 1 goes straight to :func:`numpy.correlate`. ``padding_mode`` is
torch's: the padded border holds zeros, a mirror image (``reflect``), the edge value repeated
(``replicate``) or the other end of the signal (``circular``).
"""

from __future__ import annotations

import operator
from collections.abc import Sequence
from math import prod

import numpy as np

from telecnn.errors import TelecnnError

IntOrPair = int | Sequence[int]
Padding = IntOrPair | str

# Longest dilated kernel handed to numpy.correlate; longer ones use the tap loop.
_CORRELATE_MAX_TAPS = 512
# Largest stack of shifted input copies (one per tap) built for a single matrix product; a
# bigger one adds the taps' products one at a time instead.
_STACKED_TAPS_MAX_BYTES = 256 * 2**20

#: torch's ``padding_mode`` names -> ``numpy.pad`` modes (zeros is numpy's "constant").
PADDING_MODES = {"zeros": "constant", "reflect": "reflect", "replicate": "edge", "circular": "wrap"}


def conv1d(
    x: np.ndarray,
    weight: np.ndarray,
    bias: np.ndarray | None = None,
    stride: IntOrPair = 1,
    padding: Padding = 0,
    dilation: IntOrPair = 1,
    groups: int = 1,
    padding_mode: str = "zeros",
) -> np.ndarray:
    """Slide ``weight`` over a trace: ``x`` is ``(L,)`` or ``(C_in, L)``, ``weight`` is ``(K,)``
    or ``(C_out, C_in / groups, K)``; returns ``(L_out,)`` when both have no channel axis, else
    ``(C_out, L_out)``. ``padding`` is an int, ``"valid"`` or ``"same"`` (stride 1 only);
    ``padding_mode`` is ``zeros``, ``reflect``, ``replicate`` or ``circular``, as in torch.
    """
    return _conv(x, weight, bias, stride, padding, dilation, groups, padding_mode, dim=1)


def conv2d(
    x: np.ndarray,
    weight: np.ndarray,
    bias: np.ndarray | None = None,
    stride: IntOrPair = 1,
    padding: Padding = 0,
    dilation: IntOrPair = 1,
    groups: int = 1,
    padding_mode: str = "zeros",
) -> np.ndarray:
    """Slide ``weight`` over an image: ``x`` is ``(H, W)`` or ``(C_in, H, W)``, ``weight`` is
    ``(kH, kW)`` or ``(C_out, C_in / groups, kH, kW)``; returns ``(H_out, W_out)`` when both have
    no channel axis, else ``(C_out, H_out, W_out)``. ``stride``, ``padding`` and ``dilation`` are
    an int or a pair; ``padding`` may also be ``"valid"`` or ``"same"`` (stride 1 only);
    ``padding_mode`` is ``zeros``, ``reflect``, ``replicate`` or ``circular``, as in torch.
    """
    return _conv(x, weight, bias, stride, padding, dilation, groups, padding_mode, dim=2)


def output_size(
    size: int, kernel: int, padding: int | str = 0, stride: int = 1, dilation: int = 1
) -> int:
    """Output length along one axis: ``floor((size + 2P - dilation*(kernel-1) - 1) / stride) + 1``.

    The notebook's ``(W - K + 2P) // S + 1`` with the kernel widened by its dilation;
    ``padding`` may be ``"valid"`` (0) or ``"same"`` (the output keeps ``size``, stride 1 only).
    """
    (stride_,) = _ints(stride, 1, "stride", minimum=1)
    (dilation_,) = _ints(dilation, 1, "dilation", minimum=1)
    (kernel_,) = _ints(kernel, 1, "kernel size", minimum=1)
    (size_,) = _ints(size, 1, "input size", minimum=0)
    ((left, right),) = _paddings(padding, (kernel_,), (dilation_,), (stride_,))
    return _axis_output(size_ + left + right, kernel_, stride_, dilation_, axis_name="input")


def _conv(
    x: np.ndarray,
    weight: np.ndarray,
    bias: np.ndarray | None,
    stride: IntOrPair,
    padding: Padding,
    dilation: IntOrPair,
    groups: int,
    padding_mode: str,
    dim: int,
) -> np.ndarray:
    """The shared body of :func:`conv1d` and :func:`conv2d` for ``dim`` spatial axes."""
    x = _as_float(x, "input")
    weight = _as_float(weight, "weight")
    name = f"conv{dim}d"
    if x.ndim not in (dim, dim + 1):
        raise TelecnnError(f"{name}: input must have {dim} or {dim + 1} axes, got shape {x.shape}")
    if weight.ndim not in (dim, dim + 2):
        raise TelecnnError(
            f"{name}: weight must have {dim} or {dim + 2} axes, got shape {weight.shape}"
        )
    squeeze = x.ndim == dim and weight.ndim == dim
    x3 = x if x.ndim == dim + 1 else x[np.newaxis]
    w4 = weight if weight.ndim == dim + 2 else weight[np.newaxis, np.newaxis]
    (groups_,) = _ints(groups, 1, "groups", minimum=1)
    in_channels, out_channels = x3.shape[0], w4.shape[0]
    if in_channels % groups_ or out_channels % groups_:
        raise TelecnnError(
            f"{name}: groups={groups_} must divide both the input channels ({in_channels}) "
            f"and the output channels ({out_channels})"
        )
    if w4.shape[1] * groups_ != in_channels:
        raise TelecnnError(
            f"{name}: the weight expects {w4.shape[1] * groups_} input channels "
            f"(shape {weight.shape}, groups={groups_}) but the input has {in_channels} "
            f"(shape {x.shape})"
        )
    kernel = w4.shape[2:]
    if min(kernel) < 1:
        raise TelecnnError(f"{name}: the kernel is empty (weight shape {weight.shape})")
    strides = _ints(stride, dim, "stride", minimum=1)
    dilations = _ints(dilation, dim, "dilation", minimum=1)
    pads = _paddings(padding, kernel, dilations, strides)
    if padding_mode != "zeros":
        x3 = _pad_border(x3, pads, padding_mode, name)
        pads = [(0, 0)] * dim
    sizes = x3.shape[1:]
    out_sizes = tuple(
        _axis_output(n + lo + hi, k, s, d, axis_name="padded input")
        for n, (lo, hi), k, s, d in zip(sizes, pads, kernel, strides, dilations, strict=True)
    )
    dtype = np.result_type(x3.dtype, w4.dtype)
    bias_ = None
    if bias is not None:
        bias_ = _as_float(bias, "bias")
        if bias_.shape != (out_channels,):
            raise TelecnnError(
                f"{name}: bias must have shape ({out_channels},), one per output channel, "
                f"got {bias_.shape}"
            )
        dtype = np.result_type(dtype, bias_.dtype)

    if dim == 1 and in_channels == out_channels == 1 and strides == (1,):
        out = _correlate_trace(x3[0], w4[0, 0], pads[0], dilations[0], out_sizes[0])
        out = out.astype(dtype, copy=False)[np.newaxis]
    else:
        out = _shift_and_add(x3, w4, pads, strides, dilations, out_sizes, groups_, dtype)
    if bias_ is not None:
        out += bias_.reshape((-1,) + (1,) * dim)
    return out[0] if squeeze else out


def _pad_border(x: np.ndarray, pads: Sequence[tuple[int, int]], mode: str, name: str) -> np.ndarray:
    """``x`` ``(C, *S)`` with its spatial axes padded as torch's ``padding_mode`` does."""
    if mode not in PADDING_MODES:
        raise TelecnnError(
            f"{name}: unknown padding_mode {mode!r}: use one of {', '.join(PADDING_MODES)}"
        )
    for size, (lo, hi) in zip(x.shape[1:], pads, strict=True):
        too_wide = max(lo, hi) >= size if mode == "reflect" else max(lo, hi) > size
        if mode != "replicate" and too_wide:
            raise TelecnnError(
                f"{name}: padding ({lo}, {hi}) is too wide for {mode} padding of an axis of "
                f"{size} samples"
            )
    if not any(lo or hi for lo, hi in pads):
        return x
    return np.pad(x, [(0, 0), *pads], mode=PADDING_MODES[mode])


def _correlate_trace(
    trace: np.ndarray, taps: np.ndarray, pad: tuple[int, int], dilation: int, out_size: int
) -> np.ndarray:
    """One channel, stride 1: :func:`numpy.correlate` on the (dilated) kernel, padding by slicing
    its ``"full"`` result when the padding is no wider than the kernel."""
    span = dilation * (len(taps) - 1) + 1
    left, right = pad
    if span > _CORRELATE_MAX_TAPS or max(left, right) > span - 1:
        return _shift_and_add(
            trace[np.newaxis],
            taps[np.newaxis, np.newaxis],
            [pad],
            (1,),
            (dilation,),
            (out_size,),
            1,
            np.result_type(trace.dtype, taps.dtype),
        )[0]
    if dilation > 1:
        dilated = np.zeros(span, dtype=taps.dtype)
        dilated[::dilation] = taps
        taps = dilated
    if left == right == 0:
        return np.correlate(trace, taps, mode="valid")
    start = span - 1 - left
    return np.correlate(trace, taps, mode="full")[start : start + out_size]


def _tap_slices(
    tap: tuple[int, ...],
    sizes: Sequence[int],
    pads: Sequence[tuple[int, int]],
    strides: Sequence[int],
    dilations: Sequence[int],
    out_sizes: Sequence[int],
) -> tuple[tuple[slice, ...], tuple[slice, ...]] | None:
    """Where one kernel tap meets the input: the output positions whose input sample lies inside
    ``x`` (the others see the zero padding) and the input samples they see, per spatial axis;
    ``None`` when the tap sees only padding."""
    outs, ins = [], []
    for t, n, (lo, _), s, d, m in zip(tap, sizes, pads, strides, dilations, out_sizes, strict=True):
        offset = t * d - lo  # the input index output 0 sees
        first = max(0, -(offset // s) if offset < 0 else 0)
        stop = min(m, -(-(n - offset) // s))
        if stop <= first:
            return None
        start = first * s + offset
        outs.append(slice(first, stop))
        ins.append(slice(start, start + (stop - first - 1) * s + 1, s))
    return tuple(outs), tuple(ins)


def _borders(inside: Sequence[slice], sizes: Sequence[int]) -> list[tuple[slice, ...]]:
    """Boxes that together cover what lies outside the box ``inside`` of an array of ``sizes``
    (one slab before and one after it along each axis)."""
    boxes = []
    for axis, (cut, size) in enumerate(zip(inside, sizes, strict=True)):
        full = [slice(None)] * len(sizes)
        for part in (slice(0, cut.start), slice(cut.stop, size)):
            if part.stop > part.start:
                boxes.append(tuple(full[:axis] + [part] + full[axis + 1 :]))
    return boxes


def _shift_and_add(
    x: np.ndarray,
    w: np.ndarray,
    pads: Sequence[tuple[int, int]],
    strides: Sequence[int],
    dilations: Sequence[int],
    out_sizes: Sequence[int],
    groups: int,
    dtype: np.dtype,
) -> np.ndarray:
    """Sum over kernel taps of (weight at the tap) x (input slice the tap sees), for every output
    position at once; the zero padding is never built (a tap's positions past the border are
    left at zero). ``x`` is ``(C_in, *S)``, ``w`` is ``(C_out, C_in/groups, *K)``."""
    in_channels, out_channels = x.shape[0], w.shape[0]
    kernel = w.shape[2:]
    taps = [
        (t, tap, where)
        for t, tap in enumerate(np.ndindex(*kernel))
        if (where := _tap_slices(tap, x.shape[1:], pads, strides, dilations, out_sizes))
    ]

    if in_channels == out_channels == 1:
        out = np.zeros(tuple(out_sizes), dtype=dtype)
        for _, tap, (outs, ins) in taps:
            out[outs] += x[(0, *ins)] * w[(0, 0, *tap)]
        return out[np.newaxis]

    per_in, per_out = in_channels // groups, out_channels // groups
    positions = prod(out_sizes)
    grouped_x = x.reshape(groups, per_in, *x.shape[1:])
    grouped_w = w.reshape(groups, per_out, per_in, prod(kernel))
    every = (slice(None), slice(None))
    if len(taps) * in_channels * positions * x.itemsize > _STACKED_TAPS_MAX_BYTES:
        out = np.zeros((groups, per_out, positions), dtype=dtype)
        seen = np.empty((groups, per_in, *out_sizes), dtype=x.dtype)
        for t, _, (outs, ins) in taps:
            seen[...] = 0.0
            seen[(*every, *outs)] = grouped_x[(*every, *ins)]
            out += grouped_w[..., t] @ seen.reshape(groups, per_in, positions)
        return out.reshape(out_channels, *out_sizes)
    # every tap's input slice stacked: one matrix product of (taps x C_in) rows per group
    stacked = np.empty((groups, len(taps), per_in, *out_sizes), dtype=x.dtype)
    for row, (_, _, (outs, ins)) in enumerate(taps):
        tap_rows = stacked[:, row]
        for border in _borders(outs, out_sizes):
            tap_rows[(*every, *border)] = 0.0
        tap_rows[(*every, *outs)] = grouped_x[(*every, *ins)]
    weights = grouped_w[..., [t for t, _, _ in taps]].transpose(0, 1, 3, 2)
    weights = weights.reshape(groups, per_out, len(taps) * per_in).astype(dtype, copy=False)
    out = weights @ stacked.reshape(groups, -1, positions)
    return out.reshape(out_channels, *out_sizes)


def _as_float(a: object, what: str) -> np.ndarray:
    """``a`` as a real float array (integers and booleans become float64)."""
    arr = np.asarray(a)
    if arr.dtype.kind == "f":
        return arr
    if arr.dtype.kind in "biu":
        return arr.astype(np.float64)
    raise TelecnnError(f"the {what} must be numeric, got an array of {arr.dtype}")


def _ints(value: object, count: int, what: str, minimum: int) -> tuple[int, ...]:
    """An int or a sequence of ``count`` ints, each at least ``minimum``, as a tuple."""
    items = list(value) if isinstance(value, Sequence) and not isinstance(value, str) else [value]
    if len(items) == 1:
        items = items * count
    if len(items) != count:
        raise TelecnnError(f"{what} must be an int or {count} ints, got {value!r}")
    try:
        ints = tuple(operator.index(v) for v in items)
    except TypeError:
        raise TelecnnError(f"{what} must be an int or {count} ints, got {value!r}") from None
    if any(v < minimum for v in ints):
        raise TelecnnError(f"{what} must be at least {minimum}, got {value!r}")
    return ints


def _paddings(
    padding: Padding, kernel: Sequence[int], dilations: Sequence[int], strides: Sequence[int]
) -> list[tuple[int, int]]:
    """Zeros to add (before, after) each spatial axis; ``"same"`` follows torch (extra after)."""
    dim = len(kernel)
    if isinstance(padding, str):
        if padding == "valid":
            return [(0, 0)] * dim
        if padding == "same":
            if any(s != 1 for s in strides):
                raise TelecnnError(
                    f"padding='same' needs stride 1 (got stride {tuple(strides)}); "
                    "give the padding as a number instead"
                )
            totals = [d * (k - 1) for k, d in zip(kernel, dilations, strict=True)]
            return [(t // 2, t - t // 2) for t in totals]
        raise TelecnnError(f"unknown padding {padding!r}: use an int, a pair, 'valid' or 'same'")
    return [(p, p) for p in _ints(padding, dim, "padding", minimum=0)]


def _axis_output(padded: int, kernel: int, stride: int, dilation: int, axis_name: str) -> int:
    """Output length of one axis; refuses a kernel wider than the padded input."""
    span = dilation * (kernel - 1) + 1
    if span > padded:
        widened = f" (kernel {kernel} with dilation {dilation})" if dilation > 1 else ""
        raise TelecnnError(
            f"kernel of size {span}{widened} is larger than the {axis_name} of size {padded}"
        )
    return (padded - span) // stride + 1
