"""Text classifier (packages/text-classifier/src/model.ts).

Token + position embedding -> dropout -> encoder blocks with a key padding mask -> final norm
(pre-norm) -> masked mean or class-token pooling -> dropout -> dense head (logits). Inputs are
padded to the fixed maxLength (Super's Wa is maxLength²).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import List, Optional, Tuple

import torch
from torch import nn

from .blocks import LAYER_NORM_EPSILON, EncoderBlock
from .embeddings import TokenPositionEmbedding
from .gemms import Product, dense
from .pooling import pool


@dataclass(frozen=True)
class TextClassifierConfig:
    variant: str
    vocabulary_size: int
    max_length: int
    width: int
    num_heads: int
    feed_forward_width: int
    num_blocks: int
    num_classes: int
    pooling: str = "mean"
    dropout: float = 0.1
    attention_dropout: float = 0.0
    norm_first: bool = True
    pad_id: int = 0


class TextClassifier(nn.Module):
    def __init__(self, c: TextClassifierConfig):
        super().__init__()
        self.config = c
        self.embedding = TokenPositionEmbedding(c.vocabulary_size, c.max_length, c.width)
        self.embedding_drop = nn.Dropout(c.dropout) if c.dropout > 0 else None
        self.blocks = nn.ModuleList([
            EncoderBlock(c.variant, c.width, c.num_heads, c.feed_forward_width, dropout=c.dropout,
                         attention_dropout=c.attention_dropout, norm_first=c.norm_first, max_length=c.max_length)
            for _ in range(c.num_blocks)
        ])
        self.norm = nn.LayerNorm(c.width, eps=LAYER_NORM_EPSILON) if c.norm_first else None
        self.head_drop = nn.Dropout(c.dropout) if c.dropout > 0 else None
        self.head = nn.Linear(c.width, c.num_classes)
        nn.init.xavier_uniform_(self.head.weight)
        nn.init.zeros_(self.head.bias)

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        """ids [B, L] int64 (pad_id = padding) -> logits [B, classes]."""
        c = self.config
        mask = (ids != c.pad_id).float()
        x = self.embedding(ids)
        if self.embedding_drop is not None:
            x = self.embedding_drop(x)
        for block in self.blocks:
            x = block(x, mask)
        if self.norm is not None:
            x = self.norm(x)
        h = pool(x, c.pooling, mask if c.pooling == "mean" else None)
        if self.head_drop is not None:
            h = self.head_drop(h)
        return self.head(h)

    def example_batch(self, batch: int, length: Optional[int] = None, *, device=None,
                      generator: Optional[torch.Generator] = None) -> Tuple[tuple, torch.Tensor]:
        """Random texts padded to `length` (default maxLength), each at least a quarter of it long."""
        c = self.config
        L = c.max_length if length is None else length
        ids = random_padded_ids(batch, L, c.vocabulary_size, c.pad_id, generator)
        labels = torch.randint(0, c.num_classes, (batch,), generator=generator)
        return (ids.to(device),), labels.to(device)

    def products(self, batch: int, length: Optional[int] = None) -> List[Product]:
        L = self.config.max_length if length is None else length
        out: List[Product] = []
        for block in self.blocks:
            out += block.products(batch, L)
        return out + [dense("classifier head", batch, self.config.width, self.config.num_classes)]


def random_padded_ids(batch: int, length: int, vocabulary_size: int, pad_id: int,
                      generator: Optional[torch.Generator] = None, min_fraction: float = 0.25) -> torch.Tensor:
    """[batch, length] ids, never pad_id inside a row, each row padded after a random length;
    the first row is full so the batch is exactly `length` wide (as a length-bucketed batch is)."""
    ids = torch.randint(0, vocabulary_size - 1, (batch, length), generator=generator)
    ids = ids + (ids >= pad_id).long()  # skip pad_id
    low = max(1, int(length * min_fraction))
    lengths = torch.randint(low, length + 1, (batch,), generator=generator)
    lengths[0] = length
    ids[torch.arange(length)[None, :] >= lengths[:, None]] = pad_id
    return ids
