"""Encoder-decoder translator (packages/seq2seq-translator/src/model.ts).

One token + position embedding shared by source and target (one SentencePiece vocabulary,
positions up to max(source, target) length), pre-norm encoder blocks with a source padding
mask, pre-norm decoder blocks (causal self-attention, cross-attention over the encoder output),
a layer norm after each stack and a dense output layer over the vocabulary (its own weights,
not tied to the embedding).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import List, Optional, Tuple

import torch
from torch import nn

from .blocks import LAYER_NORM_EPSILON, DecoderBlock, EncoderBlock
from .embeddings import TokenPositionEmbedding
from .gemms import Product, dense
from .text_classifier import random_padded_ids


@dataclass(frozen=True)
class TranslatorConfig:
    variant: str
    vocabulary_size: int
    width: int = 256
    num_heads: int = 8
    feed_forward_width: int = 768
    encoder_layers: int = 2
    decoder_layers: int = 2
    source_max_length: int = 32
    target_max_length: int = 32
    dropout: float = 0.1
    attention_dropout: float = 0.0
    activation: str = "relu"
    pad_id: int = 0
    bos_id: int = 1


class Translator(nn.Module):
    def __init__(self, c: TranslatorConfig):
        super().__init__()
        self.config = c
        self.embedding = TokenPositionEmbedding(c.vocabulary_size, max(c.source_max_length, c.target_max_length),
                                                c.width)
        common = dict(activation=c.activation, dropout=c.dropout, attention_dropout=c.attention_dropout,
                      norm_first=True)
        self.encoder = nn.ModuleList([
            EncoderBlock(c.variant, c.width, c.num_heads, c.feed_forward_width, max_length=c.source_max_length,
                         **common)
            for _ in range(c.encoder_layers)
        ])
        self.decoder = nn.ModuleList([
            DecoderBlock(c.variant, c.width, c.num_heads, c.feed_forward_width, max_length=c.target_max_length,
                         source_max_length=c.source_max_length, **common)
            for _ in range(c.decoder_layers)
        ])
        self.encoder_norm = nn.LayerNorm(c.width, eps=LAYER_NORM_EPSILON)
        self.decoder_norm = nn.LayerNorm(c.width, eps=LAYER_NORM_EPSILON)
        self.logits = nn.Linear(c.width, c.vocabulary_size)
        nn.init.xavier_uniform_(self.logits.weight)
        nn.init.zeros_(self.logits.bias)

    def encode(self, source: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
        mask = (source != self.config.pad_id).float()
        x = self.embedding(source)
        for block in self.encoder:
            x = block(x, mask)
        return self.encoder_norm(x), mask

    def forward(self, source: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        """source ids [B, S], decoder input ids [B, T] (BOS + target) -> logits [B, T, vocabulary]."""
        encoded, source_mask = self.encode(source)
        target_mask = (target != self.config.pad_id).float()
        y = self.embedding(target)
        for block in self.decoder:
            y = block(y, encoded, target_mask, source_mask)
        return self.logits(self.decoder_norm(y))

    def example_batch(self, batch: int, length: Optional[int] = None, *, device=None,
                      generator: Optional[torch.Generator] = None) -> Tuple[tuple, torch.Tensor]:
        """Random pairs of width `length` on both sides (default the maximum lengths): ((source,
        decoder input), labels); labels are the target shifted left, padding where the input pads."""
        c = self.config
        S = c.source_max_length if length is None else length
        T = c.target_max_length if length is None else length
        source = random_padded_ids(batch, S, c.vocabulary_size, c.pad_id, generator)
        labels = random_padded_ids(batch, T, c.vocabulary_size, c.pad_id, generator)
        decoder_input = torch.cat([torch.full((batch, 1), c.bos_id, dtype=labels.dtype), labels[:, :-1]], dim=1)
        decoder_input[labels == c.pad_id] = c.pad_id
        return (source.to(device), decoder_input.to(device)), labels.to(device)

    def products(self, batch: int, length: Optional[int] = None) -> List[Product]:
        c = self.config
        S = c.source_max_length if length is None else length
        T = c.target_max_length if length is None else length
        out: List[Product] = []
        for block in self.encoder:
            out += block.products(batch, S)
        for block in self.decoder:
            out += block.products(batch, T, S)
        return out + [dense("output logits", batch * T, c.width, c.vocabulary_size)]
