"""Batched augmentation: shapes, value range, seeding, and that it really rotates and shifts."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
import torch

from vision.augment import augment_batch, prepare_batch, random_affine, random_affine_matrices
from vision.fashion_mnist import load_split


@pytest.fixture(scope="module")
def images(fashion_mnist_dir: Path) -> torch.Tensor:
    return load_split(fashion_mnist_dir, "test", limit=256).images


def test_shapes_dtype_and_range(images: torch.Tensor) -> None:
    out = augment_batch(images, torch.Generator().manual_seed(0))
    assert out.shape == (256, 1, 28, 28) and out.dtype == torch.float32
    assert out.min() >= -1.0 - 1e-6 and out.max() <= 1.0 + 1e-6
    assert out.min() == pytest.approx(-1.0)  # black background stays black after normalising
    plain = prepare_batch(images)
    assert plain.min() == -1.0 and plain.max() == 1.0


def test_seeded_and_reproducible(images: torch.Tensor) -> None:
    a = augment_batch(images, torch.Generator().manual_seed(7))
    b = augment_batch(images, torch.Generator().manual_seed(7))
    c = augment_batch(images, torch.Generator().manual_seed(8))
    assert torch.equal(a, b)
    assert not torch.allclose(a, c)


def test_changes_images_but_keeps_their_content(images: torch.Tensor) -> None:
    plain = prepare_batch(images)
    out = augment_batch(images, torch.Generator().manual_seed(0))
    changed = (out - plain).abs().flatten(1).amax(1) > 0.1
    assert changed.float().mean() > 0.95  # almost every image is moved
    # brightness mass is roughly kept: rotation <= 10 deg and shifts <= 10% rarely cut garments
    mass_plain, mass_out = (plain + 1).sum((1, 2, 3)), (out + 1).sum((1, 2, 3))
    assert ((mass_out / mass_plain) > 0.8).float().mean() > 0.95


def test_zero_strength_is_identity(images: torch.Tensor) -> None:
    out = augment_batch(images, torch.Generator().manual_seed(0), max_degrees=0, max_translate=0)
    assert torch.allclose(out, prepare_batch(images), atol=1e-5)


def test_matrices_stay_within_the_notebook_limits() -> None:
    theta = random_affine_matrices(5000, 28, 28, torch.Generator().manual_seed(1))
    angles = torch.rad2deg(torch.atan2(theta[:, 0, 1], theta[:, 0, 0]))
    assert angles.abs().max() <= 10 + 1e-4 and angles.abs().max() > 9.5
    assert torch.allclose(torch.linalg.det(theta[:, :, :2]), torch.ones(5000), atol=1e-5)
    # content shift in pixels: the inverse of the output->input map applied to the origin
    shift = -torch.linalg.solve(theta[:, :, :2], theta[:, :, 2]) * 14
    assert shift.abs().max() <= 2.8 + 1e-3 and shift.abs().max() > 2.6


def test_translation_moves_content_by_the_drawn_amount() -> None:
    img = torch.zeros(1, 1, 28, 28)
    img[0, 0, 10:18, 4:8] = 1.0
    gen = torch.Generator().manual_seed(3)
    out = random_affine(img, gen, max_degrees=0, max_translate=0.1)
    expected = -random_affine_matrices(1, 28, 28, torch.Generator().manual_seed(3), 0, 0.1)[0, :, 2]
    moved = _centre(out > 0.5) - _centre(img > 0.5)
    assert moved[1].item() == pytest.approx(expected[0].item() * 14, abs=0.6)  # x: columns
    assert moved[0].item() == pytest.approx(expected[1].item() * 14, abs=0.6)  # y: rows


def _centre(mask: torch.Tensor) -> torch.Tensor:
    """(row, column) centre of the pixels set in a ``(1, 1, H, W)`` mask."""
    return mask[0, 0].nonzero().float().mean(0)


def test_flip_mirrors_about_half() -> None:
    theta = random_affine_matrices(2000, 28, 28, torch.Generator().manual_seed(2), flip=True)
    mirrored = torch.linalg.det(theta[:, :, :2]) < 0
    assert 0.45 < mirrored.float().mean().item() < 0.55
    assert math.isclose(theta[:, 0, 0].abs().min().item(), math.cos(math.radians(10)), abs_tol=0.01)
