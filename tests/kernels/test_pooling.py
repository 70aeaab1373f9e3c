"""NumPy pooling matches torch's pooling; global average pooling gives one number per channel."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st

from telecnn.kernels import avg_pool1d, avg_pool2d, global_avg_pool, max_pool1d, max_pool2d


@st.composite
def pool_case(draw: st.DrawFn, dim: int) -> dict:
    kernel = tuple(draw(st.integers(1, 4)) for _ in range(dim))
    stride = draw(st.one_of(st.none(), st.integers(1, 3)))
    padding = tuple(draw(st.integers(0, k // 2)) for k in kernel)
    sizes = tuple(draw(st.integers(1, 12)) for _ in range(dim))
    channels = draw(st.integers(1, 3))
    seed = draw(st.integers(0, 2**32 - 1))
    x = np.random.default_rng(seed).standard_normal((channels, *sizes))
    return dict(x=x, kernel=kernel, stride=stride, padding=padding)


def _compare(ours, theirs, case: dict, **extra) -> None:
    args = (case["kernel"], case["stride"], case["padding"])
    try:
        expected = theirs(torch.from_numpy(case["x"]), *args, **extra).numpy()
    except RuntimeError:
        with pytest.raises(ValueError, match="larger than"):
            ours(case["x"], *args, **extra)
        return
    got = ours(case["x"], *args, **extra)
    assert got.shape == expected.shape
    np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-12)


@settings(max_examples=80, deadline=None)
@given(pool_case(dim=1), st.integers(1, 3))
def test_max_pool1d_matches_torch(case: dict, dilation: int) -> None:
    _compare(max_pool1d, F.max_pool1d, case, dilation=dilation)


@settings(max_examples=80, deadline=None)
@given(pool_case(dim=2))
def test_max_pool2d_matches_torch(case: dict) -> None:
    _compare(max_pool2d, F.max_pool2d, case)


@settings(max_examples=80, deadline=None)
@given(pool_case(dim=1), st.booleans())
def test_avg_pool1d_matches_torch(case: dict, include_pad: bool) -> None:
    _compare(avg_pool1d, F.avg_pool1d, case, count_include_pad=include_pad)


@settings(max_examples=80, deadline=None)
@given(pool_case(dim=2), st.booleans())
def test_avg_pool2d_matches_torch(case: dict, include_pad: bool) -> None:
    _compare(avg_pool2d, F.avg_pool2d, case, count_include_pad=include_pad)


def test_max_pool_keeps_the_peak_of_each_sector_of_the_notebooks_grid() -> None:
    grid = np.array([[1, 3, 2, 1], [4, 6, 5, 2], [3, 2, 1, 0], [1, 2, 3, 4]])
    np.testing.assert_array_equal(max_pool2d(grid, 2), [[6, 5], [3, 4]])
    np.testing.assert_allclose(avg_pool2d(grid, 2), [[3.5, 2.5], [2.0, 2.0]])


def test_global_avg_pool_gives_one_number_per_channel_like_torch() -> None:
    rng = np.random.default_rng(3)
    trace, image = rng.standard_normal((4, 50)), rng.standard_normal((3, 8, 9))
    np.testing.assert_allclose(global_avg_pool(trace, dim=1), trace.mean(axis=1))
    assert global_avg_pool(image, dim=2).shape == (3,)
    torch_out = F.adaptive_avg_pool2d(torch.from_numpy(image), 1).numpy()
    kept = global_avg_pool(image, dim=2, keepdims=True)
    assert kept.shape == torch_out.shape == (3, 1, 1)
    np.testing.assert_allclose(kept, torch_out, rtol=1e-12)


def test_pooling_refuses_padding_over_half_the_window_and_bad_dims() -> None:
    with pytest.raises(ValueError, match="at most half"):
        max_pool1d(np.zeros(10), 3, padding=2)
    with pytest.raises(ValueError, match="stride must be at least 1"):
        avg_pool2d(np.zeros((4, 4)), 2, stride=0)
    with pytest.raises(ValueError, match="at least 2 axes"):
        max_pool2d(np.zeros(5), 2)
    with pytest.raises(ValueError, match="dim must be"):
        global_avg_pool(np.zeros((2, 3)), dim=4)
