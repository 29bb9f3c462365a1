"""Multi-head attention with the variant as configuration: sdpa, optimised, efficient, super.

The twin of packages/attention/src/multi-head-attention.ts; the math is in docs/attention.md.
Per variant the layer owns:
  sdpa       Wq, Wk, Wv, Wo
  optimised  Wq, Wk, Wo        (Wv folded into Wo: values are the input's head slices)
  efficient  Wq, Wo            (Wq Wkᵀ folded into one map: keys are the input's head slices too)
  super      Wq, Wo, Wa        (efficient plus Wa [Lmax, Lmax] mixing the value rows across tokens)
Output for every variant: concat(heads) Wo.
"""
from __future__ import annotations

import math
from typing import Dict, List, Optional, Tuple

import torch
import torch.nn.functional as F
from torch import nn

from .gemms import Product, dense

VARIANTS = ("sdpa", "optimised", "efficient", "super")

# Added to masked scores before the softmax, as in the TypeScript masks: finite, so a fully
# masked row stays NaN-free.
MASKED_SCORE = -1e9

# "auto": torch's fused scaled_dot_product_attention where it exists (torch >= 2.0), which is what
# the WebGPU build's fused kernel compares against; "naive": matmul-softmax-matmul everywhere.
_ATTENTION_IMPL = "auto"


def set_attention_impl(impl: str) -> None:
    """Chooses how the heads are computed: 'auto' (fused SDPA when available), 'sdpa' or 'naive'."""
    global _ATTENTION_IMPL
    if impl not in ("auto", "sdpa", "naive"):
        raise ValueError(f"attention impl must be auto, sdpa or naive, got {impl!r}")
    if impl == "sdpa" and not hasattr(F, "scaled_dot_product_attention"):
        raise RuntimeError(f"torch {torch.__version__} has no scaled_dot_product_attention (needs >= 2.0)")
    _ATTENTION_IMPL = impl


def attention_impl() -> str:
    """The implementation heads use now: 'sdpa' or 'naive'."""
    if _ATTENTION_IMPL == "auto":
        return "sdpa" if hasattr(F, "scaled_dot_product_attention") else "naive"
    return _ATTENTION_IMPL


def projections_of(variant: str) -> Dict[str, bool]:
    """Which weights a variant owns besides Wq and Wo."""
    if variant not in VARIANTS:
        raise ValueError(f"unknown attention variant {variant!r}: use one of {', '.join(VARIANTS)}")
    return {
        "key": variant in ("sdpa", "optimised"),
        "value": variant == "sdpa",
        "mixing": variant == "super",
    }


_CAUSAL_CACHE: Dict[Tuple[int, int, torch.device], torch.Tensor] = {}


def causal_bias(L: int, S: int, device: torch.device) -> torch.Tensor:
    """[1, 1, L, S]: query t sees keys <= t + (S - L); built once per shape and device."""
    key = (L, S, device)
    bias = _CAUSAL_CACHE.get(key)
    if bias is None:
        hidden = torch.ones(L, S, dtype=torch.bool, device=device).triu(S - L + 1)
        bias = torch.zeros(L, S, device=device).masked_fill(hidden, MASKED_SCORE).view(1, 1, L, S)
        _CAUSAL_CACHE[key] = bias
    return bias


def padding_bias(mask: torch.Tensor) -> torch.Tensor:
    """[B, S] mask (1 = token, 0 = padding) -> [B, 1, 1, S] additive bias."""
    return ((1.0 - mask) * MASKED_SCORE)[:, None, None, :]


def attend(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, bias: Optional[torch.Tensor],
           dropout: float = 0.0) -> torch.Tensor:
    """softmax(q kᵀ / √dk + bias) v per head; q [B, h, L, dk], k and v [B, h, S, dk]."""
    if attention_impl() == "sdpa":
        return F.scaled_dot_product_attention(q, k, v, attn_mask=bias, dropout_p=dropout)
    scores = torch.matmul(q, k.transpose(-2, -1)) * (1.0 / math.sqrt(q.shape[-1]))
    if bias is not None:
        scores = scores + bias
    weights = torch.softmax(scores, dim=-1)
    if dropout > 0:
        weights = F.dropout(weights, dropout, training=True)
    return torch.matmul(weights, v)


class MultiHeadAttention(nn.Module):
    """Self- or cross-attention of one variant.

    forward(query [B, L, d], context [B, S, d] or None (self-attention), key_padding_mask [B, S]
    float, 1 = token) -> [B, L, d]. Causal Super keeps Wa lower-triangular on every pass, so
    future tokens cannot leak in through the value mixing.
    """

    def __init__(self, variant: str, width: int, num_heads: int, *, causal: bool = False,
                 max_length: Optional[int] = None, use_bias: bool = True, mixing_bias: bool = False,
                 dropout: float = 0.0):
        super().__init__()
        p = projections_of(variant)
        if width % num_heads:
            raise ValueError(f"model width {width} is not divisible by num_heads {num_heads}")
        if p["mixing"] and not (isinstance(max_length, int) and max_length >= 1):
            raise ValueError("super attention needs max_length (the fixed maximum key length, the size of Wa)")
        self.variant, self.width, self.num_heads = variant, width, num_heads
        self.causal, self.max_length, self.dropout = causal, max_length, dropout
        self.query = nn.Linear(width, width, bias=use_bias)
        self.key = nn.Linear(width, width, bias=use_bias) if p["key"] else None
        self.value = nn.Linear(width, width, bias=use_bias) if p["value"] else None
        self.output = nn.Linear(width, width, bias=use_bias)
        if p["mixing"]:
            # Identity start: Super begins exactly equal to Efficient (the TypeScript default).
            self.mixing = nn.Parameter(torch.eye(max_length))
            self.mixing_bias = nn.Parameter(torch.zeros(max_length)) if mixing_bias else None
        else:
            self.mixing = None
            self.mixing_bias = None
        for layer in (self.query, self.key, self.value, self.output):
            if layer is not None:
                nn.init.xavier_uniform_(layer.weight)
                if layer.bias is not None:
                    nn.init.zeros_(layer.bias)

    def forward(self, query: torch.Tensor, context: Optional[torch.Tensor] = None,
                key_padding_mask: Optional[torch.Tensor] = None) -> torch.Tensor:
        context = query if context is None else context
        B, L, d = query.shape
        S = context.shape[1]
        if self.mixing is not None and S > self.max_length:
            raise ValueError(f"super attention was built for at most {self.max_length} keys, got {S}")
        q = self.query(query)
        k = self.key(context) if self.key is not None else context
        v = self.value(context) if self.value is not None else context
        if self.mixing is not None:
            v = self.mix_tokens(v, key_padding_mask)
        bias = padding_bias(key_padding_mask) if key_padding_mask is not None else None
        if self.causal:
            c = causal_bias(L, S, query.device)
            bias = c if bias is None else bias + c
        heads = attend(self.split_heads(q), self.split_heads(k), self.split_heads(v), bias,
                       self.dropout if self.training else 0.0)
        return self.output(heads.transpose(1, 2).reshape(B, L, d))

    def mixing_matrix(self, S: int) -> torch.Tensor:
        """Wa[:S, :S], lower-triangular when causal: the matrix the forward pass applies."""
        wa = self.mixing[:S, :S]
        return torch.tril(wa) if self.causal else wa

    def mix_tokens(self, v: torch.Tensor, key_padding_mask: Optional[torch.Tensor]) -> torch.Tensor:
        """U = Wa V, one Wa for all heads, written as the TypeScript layer writes it: one
        [S, S] x [S, B·d] product for the whole batch. Padded value rows are zeroed first so
        padding cannot reach real positions through the mixing."""
        B, S, d = v.shape
        if key_padding_mask is not None:
            v = v * key_padding_mask[:, :, None]
        flat = v.transpose(0, 1).reshape(S, B * d)
        mixed = torch.matmul(self.mixing_matrix(S), flat).view(S, B, d).transpose(0, 1)
        if self.mixing_bias is not None:
            mixed = mixed + self.mixing_bias[:S].view(1, S, 1)
        return mixed

    def split_heads(self, x: torch.Tensor) -> torch.Tensor:
        B, n, d = x.shape
        return x.reshape(B, n, self.num_heads, d // self.num_heads).transpose(1, 2)

    def products(self, batch: int, L: int, S: Optional[int] = None) -> List[Product]:
        """The forward matrix products for query length L and key length S (gemms.py)."""
        S = L if S is None else S
        d, h = self.width, self.num_heads
        out = [dense("attention query", batch * L, d, d)]
        if self.key is not None:
            out.append(dense("attention key", batch * S, d, d))
        if self.value is not None:
            out.append(dense("attention value", batch * S, d, d))
        if self.mixing is not None:
            out.append(Product("super mixing Wa·V", 1, S, S, batch * d))
        out.append(Product("attention scores q·kᵀ", batch * h, L, d // h, S, transB=True, attentionCore=True))
        out.append(Product("attention weights·v", batch * h, L, S, d // h, attentionCore=True))
        out.append(dense("attention output", batch * L, d, d))
        return out
