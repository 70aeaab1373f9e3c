"""Device and precision choice, as in the notebook: CUDA when present, else CPU; bfloat16
autocast where the hardware runs it natively."""

from __future__ import annotations

import torch

from telecnn.errors import TelecnnError


def pick_device(name: str = "auto") -> torch.device:
    """Return the torch device for ``auto`` (CUDA if available, else CPU), ``cpu`` or ``cuda``."""
    name = name.lower()
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name.startswith("cuda"):
        if not torch.cuda.is_available():
            raise TelecnnError("--device cuda was asked for but no CUDA GPU is available")
        return torch.device(name)
    if name == "cpu":
        return torch.device("cpu")
    raise TelecnnError(f"unknown device {name!r}: use auto, cpu or cuda")


def autocast_dtype(precision: str, device: torch.device) -> torch.dtype | None:
    """The autocast dtype for ``precision`` (``auto``, ``fp32`` or ``bf16``) on ``device``.

    bfloat16 when asked, or on ``auto`` where the hardware runs it natively; ``None`` means
    plain float32 (no autocast).
    """
    if precision == "fp32":
        return None
    if precision == "bf16":
        return torch.bfloat16
    if device.type == "cuda":
        return torch.bfloat16 if torch.cuda.is_bf16_supported() else None
    supported = (
        getattr(torch.backends.mkldnn, "is_available", lambda: False)()
        and getattr(torch.ops.mkldnn, "_is_mkldnn_bf16_supported", lambda: False)()
    )
    return torch.bfloat16 if supported else None
