"""The notebook's architectures, assembled from the shared core."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from telecnn.core import ResidualBlock, count_parameters
from telecnn.errors import TelecnnError
from vision.models import MODELS, MiniResNet, SimpleCNN, create_model


def test_parameter_counts_match_the_notebook() -> None:
    assert count_parameters(SimpleCNN()) == 206_922
    assert count_parameters(MiniResNet()) == 77_754
    assert count_parameters(create_model("mini-resnet", zero_init_last=True)) == 77_754


@pytest.mark.parametrize(
    ("name", "stages"),
    [
        ("simple-cnn", {"block1": (16, 14, 14), "block2": (32, 7, 7)}),
        (
            "mini-resnet",
            {
                "stem": (16, 28, 28),
                "layer1": (16, 28, 28),
                "layer2": (32, 14, 14),
                "layer3": (64, 7, 7),
            },
        ),
    ],
)
def test_shapes_and_feature_head_split(name: str, stages: dict[str, tuple[int, ...]]) -> None:
    torch.manual_seed(0)
    model = create_model(name).eval()
    x = torch.randn(3, 1, 28, 28)
    outputs = model.stage_outputs(x)
    assert {k: tuple(v.shape[1:]) for k, v in outputs.items()} == stages
    logits = model(x)
    assert logits.shape == (3, 10)
    assert torch.allclose(model.forward_head(model.forward_features(x)), logits)
    assert isinstance(model.first_conv(), nn.Conv2d) and model.first_conv().in_channels == 1


def test_mini_resnet_uses_the_shared_residual_block() -> None:
    blocks = [m for m in MiniResNet().modules() if isinstance(m, ResidualBlock)]
    assert len(blocks) == 3
    assert [isinstance(b.skip, nn.Identity) for b in blocks] == [True, False, False]


def test_bf16_autocast_stays_close_to_fp32() -> None:
    # precision is the training step's choice (fit's autocast), not the model's: alone, it is fp32
    torch.manual_seed(0)
    model = create_model("mini-resnet").eval()
    x = torch.randn(8, 1, 28, 28)
    reference = model(x)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        low = model(x)
    assert reference.dtype == torch.float32 and low.dtype == torch.bfloat16
    assert torch.allclose(low.float(), reference, atol=0.1)


def test_registry_and_bad_names() -> None:
    assert set(MODELS) == {"simple-cnn", "mini-resnet"}
    assert create_model("simple-cnn", num_classes=3)(torch.zeros(1, 1, 28, 28)).shape == (1, 3)
    with pytest.raises(TelecnnError, match="unknown model 'lenet'"):
        create_model("lenet")
    with pytest.raises(TelecnnError, match="bad configuration for simple-cnn"):
        create_model("simple-cnn", zero_init_last=True)
