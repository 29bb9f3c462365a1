"""Input embeddings: image patches (ViT) and tokens with learned positions (text, translation).

Twins of packages/attention/src/patch-embedding.ts and token-position-embedding.ts.
"""
from __future__ import annotations

from typing import List

import torch
from torch import nn

from .gemms import Product, dense


@torch.no_grad()
def truncated_normal_(t: torch.Tensor, std: float = 0.02) -> torch.Tensor:
    """tfjs's truncatedNormal: normal(0, std), values beyond two standard deviations redrawn.
    (Redrawing ~5 % a few times is much faster than nn.init.trunc_normal_'s inverse-CDF sampling.)"""
    t.normal_(0.0, std)
    outside = t.abs() > 2 * std
    while outside.any():
        t[outside] = torch.empty(int(outside.sum()), dtype=t.dtype, device=t.device).normal_(0.0, std)
        outside = t.abs() > 2 * std
    return t


class PatchEmbedding(nn.Module):
    """Images [B, H, W, C] (channels last, as tfjs) -> tokens [B, N (+1), width].

    Non-overlapping patches flattened in (row, column, channel) order and projected by one
    dense layer (a strided convolution written as reshape + matmul), an optional class token
    first, then learned position embeddings.
    """

    def __init__(self, image_size: int, channels: int, patch_size: int, width: int, class_token: bool = True):
        super().__init__()
        if image_size % patch_size:
            raise ValueError(f"image {image_size} is not divisible into {patch_size}x{patch_size} patches")
        self.patch_size, self.channels, self.width = patch_size, channels, width
        self.grid = image_size // patch_size
        self.num_tokens = self.grid * self.grid + (1 if class_token else 0)
        self.projection = nn.Linear(patch_size * patch_size * channels, width)
        nn.init.xavier_uniform_(self.projection.weight)
        nn.init.zeros_(self.projection.bias)
        self.class_token = nn.Parameter(torch.zeros(1, 1, width)) if class_token else None
        self.positions = nn.Parameter(truncated_normal_(torch.empty(self.num_tokens, width)))

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        b, p, g, c = images.shape[0], self.patch_size, self.grid, self.channels
        patches = images.reshape(b, g, p, g, p, c).permute(0, 1, 3, 2, 4, 5).reshape(b * g * g, p * p * c)
        tokens = self.projection(patches).view(b, g * g, self.width)
        if self.class_token is not None:
            tokens = torch.cat([self.class_token.expand(b, 1, self.width), tokens], dim=1)
        return tokens + self.positions

    def products(self, batch: int) -> List[Product]:
        # The pixels are data: no gradient product for them, only for the kernel.
        return [dense("patch projection", batch * self.grid * self.grid, self.projection.in_features,
                      self.width, input_grad=False)]


class TokenPositionEmbedding(nn.Module):
    """Token ids [B, L] -> token embedding + learned position embedding [B, L, width]."""

    def __init__(self, vocabulary_size: int, max_length: int, width: int):
        super().__init__()
        self.max_length = max_length
        self.tokens = nn.Embedding(vocabulary_size, width)
        truncated_normal_(self.tokens.weight)
        self.positions = nn.Parameter(truncated_normal_(torch.empty(max_length, width)))

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        L = ids.shape[1]
        if L > self.max_length:
            raise ValueError(f"input has {L} tokens but the position embedding holds {self.max_length}")
        return self.tokens(ids) + self.positions[:L]
