"""The detector's training loss: binary cross-entropy per type and sample, masked by weight."""

from __future__ import annotations

import torch
import torch.nn.functional as F

from telecnn.telemetry.laps.schema import EVENT_TYPES

#: Extra weight of positive samples per type: the rare point and hidden events need it to be
#: learnt at all; interval types stay unweighted so their probabilities keep calibrated edges.
POS_WEIGHT = {"upshift": 5.0, "downshift": 5.0, "wheelspin": 3.0, "lockup": 3.0}


def masked_bce(logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    """Binary cross-entropy over the samples and types whose weight is non-zero.

    ``targets`` ``(N, 2E, T)``: the 0/1 targets stacked over their weights.
    """
    e = logits.shape[1]
    y, w = targets[:, :e], targets[:, e:]
    pos = torch.tensor(
        [POS_WEIGHT.get(name, 1.0) for name in EVENT_TYPES[:e]], device=logits.device
    ).view(1, e, 1)
    loss = F.binary_cross_entropy_with_logits(logits, y, weight=w, reduction="sum", pos_weight=pos)
    return loss / w.sum().clamp_min(1.0)
