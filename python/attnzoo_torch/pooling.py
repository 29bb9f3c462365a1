"""[B, L, d] -> [B, d]: class token or (masked) mean (packages/attention/src/sequence-pooling.ts)."""
from __future__ import annotations

from typing import Optional

import torch


def pool(x: torch.Tensor, mode: str, mask: Optional[torch.Tensor] = None) -> torch.Tensor:
    """'class': the first token; 'mean': the mean over tokens, skipping padding when a [B, L] mask is given."""
    if mode == "class":
        return x[:, 0]
    if mode != "mean":
        raise ValueError(f"pooling must be class or mean, got {mode!r}")
    if mask is None:
        return x.mean(dim=1)
    m = mask[:, :, None]
    return (x * m).sum(dim=1) / m.sum(dim=1).clamp(min=1)
