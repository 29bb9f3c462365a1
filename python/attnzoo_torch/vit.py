"""Vision Transformer image classifier (packages/vit/src/backbone.ts and classifier.ts).

Patches -> (class token) + positions -> `depth` pre-norm encoder blocks -> final layer norm over
all tokens -> class-token or mean pooling -> dense head (logits). Super's Wa spans exactly the
sequence: patches plus the class token.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import List, Optional, Tuple

import torch
from torch import nn

from .blocks import LAYER_NORM_EPSILON, EncoderBlock
from .embeddings import PatchEmbedding
from .gemms import Product, dense
from .pooling import pool


@dataclass(frozen=True)
class ViTConfig:
    variant: str
    image_size: int
    channels: int
    patch_size: int
    width: int
    depth: int
    num_heads: int
    feed_forward_width: int
    num_classes: int
    pooling: str = "class"
    dropout: float = 0.0
    attention_dropout: float = 0.0
    activation: str = "gelu"

    @property
    def sequence_length(self) -> int:
        side = self.image_size // self.patch_size
        return side * side + (1 if self.pooling == "class" else 0)


class ViTClassifier(nn.Module):
    def __init__(self, c: ViTConfig):
        super().__init__()
        self.config = c
        self.embedding = PatchEmbedding(c.image_size, c.channels, c.patch_size, c.width,
                                        class_token=c.pooling == "class")
        self.blocks = nn.ModuleList([
            EncoderBlock(c.variant, c.width, c.num_heads, c.feed_forward_width, activation=c.activation,
                         dropout=c.dropout, attention_dropout=c.attention_dropout, norm_first=True,
                         max_length=c.sequence_length)
            for _ in range(c.depth)
        ])
        self.norm = nn.LayerNorm(c.width, eps=LAYER_NORM_EPSILON)
        self.head = nn.Linear(c.width, c.num_classes)
        nn.init.xavier_uniform_(self.head.weight)
        nn.init.zeros_(self.head.bias)

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        """images [B, H, W, C] float (channels last) -> logits [B, classes]."""
        x = self.embedding(images)
        for block in self.blocks:
            x = block(x)
        return self.head(pool(self.norm(x), self.config.pooling))

    def example_batch(self, batch: int, length: Optional[int] = None, *, device=None,
                      generator: Optional[torch.Generator] = None) -> Tuple[tuple, torch.Tensor]:
        """Random normalised images and labels: ((images,), labels)."""
        c = self.config
        images = torch.randn(batch, c.image_size, c.image_size, c.channels, generator=generator).to(device)
        labels = torch.randint(0, c.num_classes, (batch,), generator=generator).to(device)
        return (images,), labels

    def products(self, batch: int, length: Optional[int] = None) -> List[Product]:
        L = self.config.sequence_length
        out = self.embedding.products(batch)
        for block in self.blocks:
            out += block.products(batch, L)
        return out + [dense("classifier head", batch, self.config.width, self.config.num_classes)]
