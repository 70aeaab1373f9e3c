"""The classic kernels by name: 1D ones for a telemetry trace, 2D ones for an image or a grid.

``KERNELS`` maps each name to its array (parametric kernels at their default parameters);
``get_kernel(name, **params)`` builds a fresh copy, e.g. ``get_kernel("gaussian", sigma=2)``.
All are meant for cross-correlation (:func:`telecnn.kernels.conv1d` / ``conv2d``), as in torch.
"""

from __future__ import annotations

import inspect
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

import numpy as np

from telecnn.errors import TelecnnError


@dataclass(frozen=True)
class KernelInfo:
    """A bank entry: its name, 1 or 2 spatial axes, what it responds to, and its parameters."""

    name: str
    dim: int
    description: str
    params: Mapping[str, Any]
    make: Callable[..., np.ndarray]

    @property
    def shape(self) -> tuple[int, ...]:
        """Shape at the default parameters."""
        return KERNELS[self.name].shape


_BANK: dict[str, KernelInfo] = {}


def _kernel(dim: int) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Register a kernel maker under its name; its docstring's first line is the description."""

    def register(make: Callable[..., Any]) -> Callable[..., Any]:
        key = make.__name__
        defaults = {p.name: p.default for p in inspect.signature(make).parameters.values()}
        description = (make.__doc__ or "").strip().splitlines()[0]
        _BANK[key] = KernelInfo(key, dim, description, MappingProxyType(defaults), make)
        return make

    return register


def _positive(value: object, what: str) -> float:
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise TelecnnError(f"{what} must be a number, got {value!r}") from None
    if not number > 0 or math.isinf(number):
        raise TelecnnError(f"{what} must be a positive finite number, got {value!r}")
    return number


def _gaussian_taps(sigma: float) -> np.ndarray:
    sigma = _positive(sigma, "sigma")
    radius = max(1, math.ceil(3 * sigma))
    offsets = np.arange(-radius, radius + 1, dtype=np.float64)
    taps = np.exp(-0.5 * (offsets / sigma) ** 2)
    return taps / taps.sum()


# --- 1D: a trace such as Speed, Throttle or RPM over time ---------------------------------


@_kernel(dim=1)
def edge() -> np.ndarray:
    """A step: a braking onset (Speed falling) peaks positive, a throttle pickup negative."""
    return np.array([1.0, 0.0, -1.0])


@_kernel(dim=1)
def smooth(width: int = 3) -> np.ndarray:
    """Box average over `width` samples: removes sensor noise, a constant stays constant."""
    size = _positive(width, "width")
    if size != int(size):
        raise TelecnnError(f"width must be a whole number of samples, got {width!r}")
    return np.full(int(size), 1.0 / int(size))


@_kernel(dim=1)
def spike() -> np.ndarray:
    """An isolated one-sample spike (a kerb strike, a lock-up blip); zero on a steady ramp."""
    return np.array([-1.0, 2.0, -1.0])


@_kernel(dim=1)
def gaussian(sigma: float = 1.0) -> np.ndarray:
    """Gaussian-weighted average over about 3 sigma samples each side; sums to 1."""
    return _gaussian_taps(sigma)


# --- 2D: an image, or a grid such as laps x distance -------------------------------------


@_kernel(dim=2)
def sobel_x() -> np.ndarray:
    """A vertical edge, brighter to the right (on a laps x distance grid: a braking point)."""
    return np.array([[-1.0, 0.0, 1.0], [-2.0, 0.0, 2.0], [-1.0, 0.0, 1.0]])


@_kernel(dim=2)
def sobel_y() -> np.ndarray:
    """A horizontal edge, brighter below (on a laps x distance grid: a change between laps)."""
    return np.array([[-1.0, -2.0, -1.0], [0.0, 0.0, 0.0], [1.0, 2.0, 1.0]])


@_kernel(dim=2)
def sharpen() -> np.ndarray:
    """A pixel against its four neighbours: boosts edges and detail, keeps flat regions."""
    return np.array([[0.0, -1.0, 0.0], [-1.0, 5.0, -1.0], [0.0, -1.0, 0.0]])


@_kernel(dim=2)
def box_blur() -> np.ndarray:
    """Mean of the 3x3 neighbourhood: removes speckle noise, a constant stays constant."""
    return np.full((3, 3), 1.0 / 9.0)


@_kernel(dim=2)
def emboss() -> np.ndarray:
    """Relief: a change from top-left to bottom-right, shaded like light from one side."""
    return np.array([[-2.0, -1.0, 0.0], [-1.0, 1.0, 1.0], [0.0, 1.0, 2.0]])


@_kernel(dim=2)
def laplacian() -> np.ndarray:
    """Second difference both ways: spots and thin lines; zero on flat regions and ramps."""
    return np.array([[0.0, 1.0, 0.0], [1.0, -4.0, 1.0], [0.0, 1.0, 0.0]])


@_kernel(dim=2)
def gaussian_2d(sigma: float = 1.0) -> np.ndarray:
    """Gaussian blur over about 3 sigma pixels each way; sums to 1."""
    taps = _gaussian_taps(sigma)
    return np.outer(taps, taps)


@_kernel(dim=2)
def vertical_line() -> np.ndarray:
    """The notebook's vertical detector: a vertical boundary or stripe, brighter to the left."""
    return np.array([[1.0, 0.0, -1.0], [1.0, 0.0, -1.0], [1.0, 0.0, -1.0]])


@_kernel(dim=2)
def horizontal_line() -> np.ndarray:
    """The notebook's horizontal detector: a horizontal boundary or stripe, brighter below."""
    return np.array([[-1.0, -1.0, -1.0], [0.0, 0.0, 0.0], [1.0, 1.0, 1.0]])


@_kernel(dim=2)
def diagonal_line() -> np.ndarray:
    """The notebook's diagonal detector: top-left against bottom-right, across a / boundary."""
    return np.array([[1.0, 0.0, 0.0], [0.0, 0.0, 0.0], [0.0, 0.0, -1.0]])


@_kernel(dim=2)
def antidiagonal_line() -> np.ndarray:
    """The notebook's other diagonal: top-right against bottom-left, across a \\ boundary."""
    return np.array([[0.0, 0.0, 1.0], [0.0, 0.0, 0.0], [-1.0, 0.0, 0.0]])


def _frozen(array: np.ndarray) -> np.ndarray:
    array.setflags(write=False)
    return array


KERNELS: Mapping[str, np.ndarray] = MappingProxyType(
    {name: _frozen(info.make()) for name, info in _BANK.items()}
)
"""Every kernel by name, at its default parameters (read-only arrays)."""


def kernel_info(name: str) -> KernelInfo:
    """The bank entry for ``name``; a clear error lists the known names."""
    try:
        return _BANK[name]
    except KeyError:
        raise TelecnnError(
            f"unknown kernel {name!r}: choose one of {', '.join(sorted(_BANK))}"
        ) from None


def list_kernels(dim: int | None = None) -> list[KernelInfo]:
    """Every bank entry (1D first, then 2D), or only those with ``dim`` spatial axes."""
    entries = sorted(_BANK.values(), key=lambda info: (info.dim, info.name))
    return [info for info in entries if dim is None or info.dim == dim]


def get_kernel(name: str, **params: Any) -> np.ndarray:
    """A fresh copy of kernel ``name``, built with ``params`` (e.g. ``sigma=2`` for gaussian)."""
    info = kernel_info(name)
    unknown = sorted(set(params) - set(info.params))
    if unknown:
        takes = ", ".join(info.params) if info.params else "no parameters"
        raise TelecnnError(f"kernel {name!r} takes {takes}; got {', '.join(unknown)}")
    return np.array(info.make(**params), dtype=np.float64)
