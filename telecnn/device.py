"""Device choice, as in the notebook: CUDA when present, else CPU."""

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
