"""The position-wise feed-forward network of a Transformer block (packages/attention/src/feed-forward.ts)."""
from __future__ import annotations

from typing import List

import torch
import torch.nn.functional as F
from torch import nn

from .gemms import Product, dense


class FeedForward(nn.Module):
    """dense(width -> hidden) -> GELU or ReLU -> dense(hidden -> width) -> dropout."""

    def __init__(self, width: int, hidden_width: int, activation: str = "gelu", dropout: float = 0.0):
        super().__init__()
        if activation not in ("gelu", "relu"):
            raise ValueError(f"activation must be gelu or relu, got {activation!r}")
        self.activation = activation
        self.inner = nn.Linear(width, hidden_width)
        self.outer = nn.Linear(hidden_width, width)
        self.drop = nn.Dropout(dropout) if dropout > 0 else None
        for layer in (self.inner, self.outer):
            nn.init.xavier_uniform_(layer.weight)
            nn.init.zeros_(layer.bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # tfjs's 'gelu' is the erf form (not the tanh approximation): F.gelu's default.
        h = F.gelu(self.inner(x)) if self.activation == "gelu" else F.relu(self.inner(x))
        y = self.outer(h)
        return self.drop(y) if self.drop is not None else y

    def products(self, rows: int) -> List[Product]:
        return [
            dense("ffn inner", rows, self.inner.in_features, self.inner.out_features),
            dense("ffn outer", rows, self.outer.in_features, self.outer.out_features),
        ]
