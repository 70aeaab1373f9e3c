"""The notebook's augmentation on whole batches: random rotation and translation, then normalise.

Instead of per-image PIL transforms, one affine matrix per image is drawn from a seeded
``torch.Generator`` and all images are resampled at once with ``affine_grid``/``grid_sample``.
Pixels moved in from outside the image are black (0), as with torchvision's default fill, and
pixels are picked by nearest neighbour by default, as torchvision's ``RandomRotation`` and
``RandomAffine`` do (``mode="bilinear"`` smooths instead).
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F

MEAN = 0.5
STD = 0.5
MAX_DEGREES = 10.0
MAX_TRANSLATE = 0.1  # fraction of the width/height


def to_unit(images: torch.Tensor) -> torch.Tensor:
    """uint8 ``(N, H, W)`` or ``(N, C, H, W)`` -> float ``(N, C, H, W)`` in [0, 1]."""
    if images.dim() == 3:
        images = images.unsqueeze(1)
    if images.dtype == torch.uint8:
        return images.float().div_(255.0)
    return images.float()


def normalize(unit: torch.Tensor) -> torch.Tensor:
    """[0, 1] -> [-1, 1] with the notebook's mean 0.5 and std 0.5."""
    return (unit - MEAN) / STD


def denormalize(x: torch.Tensor) -> torch.Tensor:
    """The inverse of :func:`normalize`, for showing images."""
    return x * STD + MEAN


def random_affine_matrices(
    n: int,
    height: int,
    width: int,
    generator: torch.Generator,
    max_degrees: float = MAX_DEGREES,
    max_translate: float = MAX_TRANSLATE,
    flip: bool = False,
) -> torch.Tensor:
    """``(n, 2, 3)`` matrices for ``affine_grid``: a rotation in [-deg, deg] and a shift of up to
    ``max_translate`` of the size in x and y, each drawn uniformly (on CPU, from ``generator``).

    ``affine_grid`` maps output coordinates (normalised to [-1, 1]) to input ones, so the matrix
    is the inverse transform; the aspect ratio is accounted for so rotations stay rigid.
    ``flip`` also mirrors half of the images left to right.
    """
    draws = torch.rand(n, 4, generator=generator, dtype=torch.float64) * 2 - 1
    angle = draws[:, 0] * math.radians(max_degrees)
    shift_x = draws[:, 1] * max_translate * 2  # a fraction f of the width is 2f in [-1, 1]
    shift_y = draws[:, 2] * max_translate * 2
    cos, sin = torch.cos(angle), torch.sin(angle)
    aspect = height / width
    theta = torch.empty(n, 2, 3, dtype=torch.float64)
    theta[:, 0, 0] = cos
    theta[:, 0, 1] = sin * aspect
    theta[:, 1, 0] = -sin / aspect
    theta[:, 1, 1] = cos
    # input = R^-1 (output - shift): the image content moves by +shift
    theta[:, 0, 2] = -(theta[:, 0, 0] * shift_x + theta[:, 0, 1] * shift_y)
    theta[:, 1, 2] = -(theta[:, 1, 0] * shift_x + theta[:, 1, 1] * shift_y)
    if flip:
        theta[draws[:, 3] < 0, 0, :] *= -1  # mirror the sampled x coordinate
    return theta.float()


def random_affine(
    unit: torch.Tensor,
    generator: torch.Generator,
    max_degrees: float = MAX_DEGREES,
    max_translate: float = MAX_TRANSLATE,
    flip: bool = False,
    mode: str = "nearest",
) -> torch.Tensor:
    """Rotate and translate every image of a float batch ``(N, C, H, W)`` by its own random draw."""
    n, c, h, w = unit.shape
    theta = random_affine_matrices(n, h, w, generator, max_degrees, max_translate, flip)
    theta = theta.to(unit.device)
    grid = F.affine_grid(theta, [n, c, h, w], align_corners=False)
    return F.grid_sample(unit, grid, mode=mode, padding_mode="zeros", align_corners=False)


def augment_batch(
    images: torch.Tensor,
    generator: torch.Generator,
    max_degrees: float = MAX_DEGREES,
    max_translate: float = MAX_TRANSLATE,
    flip: bool = False,
    mode: str = "nearest",
) -> torch.Tensor:
    """The training transform: uint8 batch -> random rotation + translation -> normalised float."""
    unit = random_affine(to_unit(images), generator, max_degrees, max_translate, flip, mode)
    return normalize(unit)


def prepare_batch(images: torch.Tensor) -> torch.Tensor:
    """The test transform: uint8 batch -> normalised float ``(N, 1, H, W)``."""
    return normalize(to_unit(images))
