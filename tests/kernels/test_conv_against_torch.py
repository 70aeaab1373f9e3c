"""conv1d / conv2d / output_size compute what torch computes, for random shapes and options."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st

from telecnn.kernels import conv1d, conv2d, output_size

SETTINGS = settings(max_examples=100, deadline=None)


@st.composite
def conv_case(draw: st.DrawFn, dim: int) -> dict:
    """A random input, weight and option set for a ``dim``-D convolution."""
    groups = draw(st.integers(1, 3))
    in_channels = groups * draw(st.integers(1, 2))
    out_channels = groups * draw(st.integers(1, 3))
    kernel = tuple(draw(st.integers(1, 5)) for _ in range(dim))
    sizes = tuple(draw(st.integers(1, 24 if dim == 1 else 11)) for _ in range(dim))

    def int_or_tuple(low: int, high: int) -> int | tuple[int, ...]:
        if dim == 1 or draw(st.booleans()):
            return draw(st.integers(low, high))
        return tuple(draw(st.integers(low, high)) for _ in range(dim))

    stride = int_or_tuple(1, 3)
    dilation = int_or_tuple(1, 3)
    unit_stride = stride == 1 or stride == (1,) * dim
    choices = ["int", "valid"] + (["same"] if unit_stride else [])
    kind = draw(st.sampled_from(choices))
    padding = int_or_tuple(0, 3) if kind == "int" else kind
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((in_channels, *sizes))
    weight = rng.standard_normal((out_channels, in_channels // groups, *kernel))
    bias = rng.standard_normal(out_channels) if draw(st.booleans()) else None
    return dict(
        x=x,
        weight=weight,
        bias=bias,
        stride=stride,
        padding=padding,
        dilation=dilation,
        groups=groups,
    )


def _torch(fn, case: dict) -> np.ndarray:
    bias = None if case["bias"] is None else torch.from_numpy(case["bias"])
    out = fn(
        torch.from_numpy(case["x"])[None],
        torch.from_numpy(case["weight"]),
        bias,
        stride=case["stride"],
        padding=case["padding"],
        dilation=case["dilation"],
        groups=case["groups"],
    )
    return out[0].numpy()


def _check(ours_fn, torch_fn, case: dict) -> None:
    try:
        expected = _torch(torch_fn, case)
    except RuntimeError:
        with pytest.raises(ValueError, match="larger than"):
            ours_fn(**case)
        return
    got = ours_fn(**case)
    assert got.shape == expected.shape
    np.testing.assert_allclose(got, expected, rtol=1e-10, atol=1e-12)


@pytest.mark.filterwarnings("ignore:Using padding='same'")
@SETTINGS
@given(conv_case(dim=1))
def test_conv1d_matches_torch(case: dict) -> None:
    _check(conv1d, F.conv1d, case)


@pytest.mark.filterwarnings("ignore:Using padding='same'")
@SETTINGS
@given(conv_case(dim=2))
def test_conv2d_matches_torch(case: dict) -> None:
    _check(conv2d, F.conv2d, case)


@settings(max_examples=60, deadline=None)
@given(
    length=st.integers(3, 60),
    taps=st.integers(1, 7),
    padding=st.one_of(st.integers(0, 8), st.sampled_from(["same", "valid"])),
    dilation=st.integers(1, 4),
    seed=st.integers(0, 2**32 - 1),
)
@pytest.mark.filterwarnings("ignore:Using padding='same'")
def test_single_trace_without_channel_axes_matches_torch(
    length: int, taps: int, padding: int | str, dilation: int, seed: int
) -> None:
    rng = np.random.default_rng(seed)
    x, w = rng.standard_normal(length), rng.standard_normal(taps)
    if dilation * (taps - 1) + 1 > length + 2 * (padding if isinstance(padding, int) else 0) and (
        padding != "same"
    ):
        with pytest.raises(ValueError):
            conv1d(x, w, padding=padding, dilation=dilation)
        return
    expected = F.conv1d(
        torch.from_numpy(x)[None, None],
        torch.from_numpy(w)[None, None],
        padding=padding,
        dilation=dilation,
    )[0, 0].numpy()
    got = conv1d(x, w, padding=padding, dilation=dilation)
    assert got.shape == expected.shape == (got.size,)
    np.testing.assert_allclose(got, expected, rtol=1e-10, atol=1e-12)


def test_image_without_channel_axes_keeps_its_shape_with_same_padding() -> None:
    rng = np.random.default_rng(1)
    image, w = rng.standard_normal((17, 23)), rng.standard_normal((3, 5))
    got = conv2d(image, w, padding="same", dilation=(2, 1))
    expected = F.conv2d(
        torch.from_numpy(image)[None, None],
        torch.from_numpy(w)[None, None],
        padding="same",
        dilation=(2, 1),
    )[0, 0].numpy()
    assert got.shape == image.shape
    np.testing.assert_allclose(got, expected, rtol=1e-10, atol=1e-12)


def test_long_dilated_kernel_on_a_long_trace_matches_torch() -> None:
    rng = np.random.default_rng(2)
    x, w = rng.standard_normal(5_000), rng.standard_normal(4)
    for padding in (0, "same", 700):
        expected = F.conv1d(
            torch.from_numpy(x)[None, None],
            torch.from_numpy(w)[None, None],
            padding=padding,
            dilation=250,
        )[0, 0].numpy()
        np.testing.assert_allclose(
            conv1d(x, w, padding=padding, dilation=250), expected, rtol=1e-10, atol=1e-12
        )


def test_float32_stays_float32_and_integers_become_float64() -> None:
    x = np.arange(10, dtype=np.float32)
    assert conv1d(x, np.ones(3, dtype=np.float32)).dtype == np.float32
    out = conv1d(np.arange(10), np.array([1, 0, -1]))
    assert out.dtype == np.float64
    np.testing.assert_array_equal(out, np.full(8, -2.0))


@settings(max_examples=100, deadline=None)
@given(
    size=st.integers(1, 40),
    kernel=st.integers(1, 7),
    padding=st.one_of(st.integers(0, 4), st.sampled_from(["valid", "same"])),
    stride=st.integers(1, 4),
    dilation=st.integers(1, 3),
)
@pytest.mark.filterwarnings("ignore:Using padding='same'")
def test_output_size_matches_real_torch_output(
    size: int, kernel: int, padding: int | str, stride: int, dilation: int
) -> None:
    if padding == "same":
        stride = 1
    layer = torch.nn.Conv1d(1, 1, kernel, stride=stride, padding=padding, dilation=dilation)
    try:
        with torch.no_grad():
            real = layer(torch.zeros(1, 1, size)).shape[-1]
    except RuntimeError:
        with pytest.raises(ValueError, match="larger than"):
            output_size(size, kernel, padding, stride, dilation)
        return
    assert output_size(size, kernel, padding, stride, dilation) == real


def test_output_size_is_the_notebooks_formula_without_dilation() -> None:
    # the notebook's examples: 7x7 input, 3x3 kernel, stride 1 and 2; 32 wide, padding 1
    assert output_size(7, 3, 0, 1) == 5
    assert output_size(7, 3, 0, 2) == 3
    assert output_size(32, 3, 1, 1) == 32
    assert output_size(32, 3, "same") == 32


@st.composite
def padded_case(draw: st.DrawFn, dim: int) -> dict:
    """A :func:`conv_case` with a padding border of torch's other modes."""
    case = draw(conv_case(dim))
    case["padding_mode"] = draw(st.sampled_from(["zeros", "reflect", "replicate", "circular"]))
    return case


def _torch_module(case: dict, dim: int) -> np.ndarray:
    """What a real ``torch.nn.Conv1d``/``Conv2d`` with ``padding_mode`` computes for ``case``."""
    weight = torch.from_numpy(case["weight"])
    layer = (torch.nn.Conv1d if dim == 1 else torch.nn.Conv2d)(
        case["x"].shape[0],
        weight.shape[0],
        tuple(weight.shape[2:]),
        stride=case["stride"],
        padding=case["padding"],
        dilation=case["dilation"],
        groups=case["groups"],
        bias=case["bias"] is not None,
        padding_mode=case["padding_mode"],
    ).double()
    with torch.no_grad():
        layer.weight.copy_(weight)
        if case["bias"] is not None:
            layer.bias.copy_(torch.from_numpy(case["bias"]))
        return layer(torch.from_numpy(case["x"])[None])[0].numpy()


@pytest.mark.filterwarnings("ignore:Using padding='same'")
@settings(max_examples=150, deadline=None)
@given(st.integers(1, 2).flatmap(lambda dim: st.tuples(st.just(dim), padded_case(dim))))
def test_padding_modes_match_torch_modules(dim_case: tuple[int, dict]) -> None:
    dim, case = dim_case
    ours = conv1d if dim == 1 else conv2d
    try:
        expected = _torch_module(case, dim)
    except (RuntimeError, ValueError, NotImplementedError):
        with pytest.raises(ValueError, match="larger than|too wide"):
            ours(**case)
        return
    got = ours(**case)
    assert got.shape == expected.shape
    np.testing.assert_allclose(got, expected, rtol=1e-10, atol=1e-12)


def test_reflect_padding_has_no_edge_artefact_on_a_trace() -> None:
    speed = np.linspace(100.0, 300.0, 50)  # a steady rise, no event at either end
    edge = np.array([1.0, 0.0, -1.0])
    zeros = conv1d(speed, edge, padding="same")
    reflected = conv1d(speed, edge, padding="same", padding_mode="replicate")
    assert abs(zeros[-1]) > 250  # the zero border reads as a fall of ~300 km/h
    np.testing.assert_allclose(reflected[1:-1], -2 * (200 / 49), rtol=1e-12)
    assert abs(reflected[-1]) <= abs(reflected[1])
