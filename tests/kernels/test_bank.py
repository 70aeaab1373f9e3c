"""The kernel bank responds as its docstrings say."""

from __future__ import annotations

import numpy as np
import pytest

from telecnn.kernels import (
    KERNELS,
    apply_to_trace,
    conv1d,
    conv2d,
    get_kernel,
    kernel_info,
    list_kernels,
)

ONE_D = {"edge", "smooth", "spike", "gaussian"}
TWO_D = {
    "sobel_x",
    "sobel_y",
    "sharpen",
    "box_blur",
    "emboss",
    "laplacian",
    "gaussian_2d",
    "vertical_line",
    "horizontal_line",
    "diagonal_line",
    "antidiagonal_line",
}


def _runs(mask: np.ndarray) -> int:
    """Number of separate stretches where ``mask`` is true."""
    padded = np.concatenate([[False], mask, [False]])
    return int(np.count_nonzero(padded[1:] & ~padded[:-1]))


def test_bank_holds_the_issue_kernels_with_matching_dims_and_one_line_docs() -> None:
    assert set(KERNELS) == ONE_D | TWO_D
    for info in list_kernels():
        assert KERNELS[info.name].ndim == info.dim == (1 if info.name in ONE_D else 2)
        assert info.description and "\n" not in info.description
    assert [i.name for i in list_kernels(dim=1)] == sorted(ONE_D)


def test_bank_arrays_are_read_only_and_get_kernel_gives_a_fresh_copy() -> None:
    with pytest.raises(ValueError):
        KERNELS["edge"][0] = 5.0
    copy = get_kernel("edge")
    copy[0] = 5.0
    assert KERNELS["edge"][0] == 1.0
    np.testing.assert_array_equal(get_kernel("edge"), [1.0, 0.0, -1.0])
    np.testing.assert_array_equal(get_kernel("spike"), [-1.0, 2.0, -1.0])


def test_edge_on_a_braking_step_gives_one_positive_peak_at_the_step() -> None:
    step_at = 20
    speed = np.where(np.arange(40) < step_at, 300.0, 120.0)  # a sudden drop: braking
    response = conv1d(speed, get_kernel("edge"))
    assert _runs(response != 0) == 1
    assert set(np.flatnonzero(response)) == {step_at - 2, step_at - 1}  # windows over the step
    assert response.max() == 180.0
    aligned = apply_to_trace(speed, "edge")
    assert set(np.flatnonzero(np.nan_to_num(aligned))) == {step_at - 1, step_at}
    # the throttle pickup (a rise) peaks negative
    assert conv1d(speed[::-1], get_kernel("edge")).min() == -180.0


@pytest.mark.parametrize(
    ("name", "params"),
    [("smooth", {}), ("smooth", {"width": 6}), ("gaussian", {}), ("gaussian", {"sigma": 2.5})],
)
def test_smoothing_keeps_a_constant(name: str, params: dict) -> None:
    trace = np.full(50, 212.5)
    np.testing.assert_allclose(conv1d(trace, get_kernel(name, **params)), 212.5, rtol=1e-12)


def test_smoothing_reduces_noise() -> None:
    noise = np.random.default_rng(0).standard_normal(2_000)
    assert conv1d(noise, get_kernel("smooth", width=5)).std() < 0.6 * noise.std()
    assert conv1d(noise, get_kernel("gaussian", sigma=2)).std() < 0.5 * noise.std()


def test_spike_responds_to_an_isolated_spike_and_not_to_a_ramp() -> None:
    trace = np.linspace(100.0, 200.0, 60)
    np.testing.assert_allclose(conv1d(trace, get_kernel("spike")), 0.0, atol=1e-10)
    trace[30] += 15.0  # a kerb strike
    response = apply_to_trace(trace, "spike")
    assert np.nanargmax(response) == 30
    assert response[30] == pytest.approx(30.0)
    quiet = np.delete(np.arange(1, 59), [28, 29, 30])  # away from the spike and its neighbours
    np.testing.assert_allclose(response[quiet], 0.0, atol=1e-10)


@pytest.mark.parametrize("sigma", [0.5, 1.0, 3.0])
def test_gaussians_sum_to_one_and_peak_in_the_middle(sigma: float) -> None:
    taps = get_kernel("gaussian", sigma=sigma)
    assert taps.sum() == pytest.approx(1.0)
    assert len(taps) % 2 == 1 and np.argmax(taps) == len(taps) // 2
    np.testing.assert_allclose(taps, taps[::-1])
    assert get_kernel("gaussian_2d", sigma=sigma).sum() == pytest.approx(1.0)


def _vertical_edge(size: int = 12, at: int = 6) -> np.ndarray:
    return np.where(np.arange(size)[None, :] < at, 0.0, 1.0) * np.ones((size, 1))


def test_sobel_x_responds_to_a_vertical_edge_and_sobel_y_does_not() -> None:
    image = _vertical_edge()
    response = conv2d(image, get_kernel("sobel_x"))  # valid: output column j sees j..j+2
    assert set(np.flatnonzero(response.any(axis=0))) == {4, 5}
    assert (response[:, 4:6] == 4.0).all()
    np.testing.assert_array_equal(conv2d(image, get_kernel("sobel_y")), 0.0)
    np.testing.assert_array_equal(conv2d(image.T, get_kernel("sobel_y"))[4:6].min(), 4.0)


def test_line_detectors_respond_to_their_orientation_only() -> None:
    vertical = _vertical_edge()
    assert np.abs(conv2d(vertical, get_kernel("vertical_line"))).max() == 3.0
    np.testing.assert_array_equal(conv2d(vertical, get_kernel("horizontal_line")), 0.0)
    assert np.abs(conv2d(vertical.T, get_kernel("horizontal_line"))).max() == 3.0
    i, j = np.indices((12, 12))
    slash = (i + j < 12).astype(float)  # bright above-left of a / boundary
    backslash = (j < i).astype(float)  # bright below-left of a \ boundary
    assert conv2d(slash, get_kernel("diagonal_line")).max() == 1.0
    np.testing.assert_array_equal(conv2d(backslash, get_kernel("diagonal_line")), 0.0)
    assert np.abs(conv2d(backslash, get_kernel("antidiagonal_line"))).max() == 1.0
    np.testing.assert_array_equal(conv2d(slash, get_kernel("antidiagonal_line")), 0.0)


def test_flat_and_ramp_images() -> None:
    i, j = np.indices((10, 10))
    ramp = 3.0 * i - 2.0 * j + 7.0
    np.testing.assert_allclose(conv2d(ramp, get_kernel("laplacian")), 0.0, atol=1e-10)
    flat = np.full((10, 10), 0.4)
    for name in ("box_blur", "sharpen", "gaussian_2d"):
        np.testing.assert_allclose(conv2d(flat, get_kernel(name)), 0.4, rtol=1e-12)
    spot = np.zeros((9, 9))
    spot[4, 4] = 1.0
    assert np.unravel_index(
        np.abs(conv2d(spot, KERNELS["laplacian"], padding="same")).argmax(), spot.shape
    ) == (4, 4)
    emboss = conv2d(_vertical_edge().T[::-1].T, get_kernel("emboss"))  # bright left, dark right
    assert emboss.min() < 0 < conv2d(_vertical_edge(), get_kernel("emboss")).max()


def test_bank_errors_name_the_problem() -> None:
    with pytest.raises(ValueError, match="unknown kernel 'edgy'.*edge"):
        get_kernel("edgy")
    with pytest.raises(ValueError, match="takes no parameters; got sigma"):
        get_kernel("edge", sigma=2)
    with pytest.raises(ValueError, match="takes sigma; got width"):
        get_kernel("gaussian", width=2)
    with pytest.raises(ValueError, match="sigma must be a positive"):
        get_kernel("gaussian", sigma=0)
    with pytest.raises(ValueError, match="whole number"):
        get_kernel("smooth", width=2.5)
    with pytest.raises(ValueError, match="is 2D"):
        apply_to_trace(np.zeros(10), "sobel_x")
    assert kernel_info("smooth").params == {"width": 3}
