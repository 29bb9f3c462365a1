"""Transformer encoder and decoder blocks (packages/attention/src/encoder-block.ts, decoder-block.ts).

Each sub-layer has a residual connection, dropout on its branch and a layer norm, before the
sub-layer (pre-norm, ViT and all attnzoo releases) or after the residual sum (post-norm).
"""
from __future__ import annotations

from typing import List, Optional

import torch
from torch import nn

from .attention import MultiHeadAttention
from .feed_forward import FeedForward
from .gemms import Product

# Every attnzoo LayerNormalization uses this epsilon.
LAYER_NORM_EPSILON = 1e-6


def _dropout(rate: float) -> Optional[nn.Dropout]:
    # tfjs applies no op at rate 0; neither do we (no module, no kernel).
    return nn.Dropout(rate) if rate > 0 else None


def _apply(drop: Optional[nn.Dropout], x: torch.Tensor) -> torch.Tensor:
    return drop(x) if drop is not None else x


class EncoderBlock(nn.Module):
    """Self-attention + feed-forward; x [B, L, d], key_padding_mask [B, L] (1 = token) or None."""

    def __init__(self, variant: str, width: int, num_heads: int, feed_forward_width: int, *,
                 activation: str = "gelu", dropout: float = 0.0, attention_dropout: float = 0.0,
                 norm_first: bool = True, max_length: Optional[int] = None, causal: bool = False,
                 use_bias: bool = True):
        super().__init__()
        self.norm_first = norm_first
        self.attention = MultiHeadAttention(variant, width, num_heads, causal=causal, max_length=max_length,
                                            use_bias=use_bias, dropout=attention_dropout)
        self.attention_drop = _dropout(dropout)
        self.feed_forward = FeedForward(width, feed_forward_width, activation, dropout)
        self.norm1 = nn.LayerNorm(width, eps=LAYER_NORM_EPSILON)
        self.norm2 = nn.LayerNorm(width, eps=LAYER_NORM_EPSILON)

    def forward(self, x: torch.Tensor, key_padding_mask: Optional[torch.Tensor] = None) -> torch.Tensor:
        def attend(h):
            return _apply(self.attention_drop, self.attention(h, None, key_padding_mask))

        if self.norm_first:
            y = x + attend(self.norm1(x))
            return y + self.feed_forward(self.norm2(y))
        y = self.norm1(x + attend(x))
        return self.norm2(y + self.feed_forward(y))

    def products(self, batch: int, length: int) -> List[Product]:
        return self.attention.products(batch, length) + self.feed_forward.products(batch * length)


class DecoderBlock(nn.Module):
    """Causal self-attention, cross-attention over the encoder output, feed-forward.

    target [B, T, d], encoded [B, S, d], target_mask [B, T], source_mask [B, S]. Super's self-
    attention Wa is targetMaxLength² and lower-triangular; its cross-attention Wa is
    sourceMaxLength² and acts on the source axis.
    """

    def __init__(self, variant: str, width: int, num_heads: int, feed_forward_width: int, *,
                 activation: str = "gelu", dropout: float = 0.0, attention_dropout: float = 0.0,
                 norm_first: bool = True, max_length: Optional[int] = None,
                 source_max_length: Optional[int] = None, use_bias: bool = True):
        super().__init__()
        self.norm_first = norm_first
        self.self_attention = MultiHeadAttention(variant, width, num_heads, causal=True, max_length=max_length,
                                                 use_bias=use_bias, dropout=attention_dropout)
        self.cross_attention = MultiHeadAttention(
            variant, width, num_heads, max_length=source_max_length if source_max_length is not None else max_length,
            use_bias=use_bias, dropout=attention_dropout)
        self.feed_forward = FeedForward(width, feed_forward_width, activation, dropout)
        self.drops = nn.ModuleList([d for d in (_dropout(dropout), _dropout(dropout)) if d is not None])
        self.norms = nn.ModuleList([nn.LayerNorm(width, eps=LAYER_NORM_EPSILON) for _ in range(3)])

    def forward(self, target: torch.Tensor, encoded: torch.Tensor, target_mask: Optional[torch.Tensor],
                source_mask: Optional[torch.Tensor]) -> torch.Tensor:
        drop = list(self.drops) or [None, None]
        subs = [
            lambda h: _apply(drop[0], self.self_attention(h, None, target_mask)),
            lambda h: _apply(drop[1], self.cross_attention(h, encoded, source_mask)),
            self.feed_forward,
        ]
        x = target
        for norm, f in zip(self.norms, subs):
            x = x + f(norm(x)) if self.norm_first else norm(x + f(x))
        return x

    def products(self, batch: int, target_length: int, source_length: int) -> List[Product]:
        return (self.self_attention.products(batch, target_length)
                + self.cross_attention.products(batch, target_length, source_length)
                + self.feed_forward.products(batch * target_length))
