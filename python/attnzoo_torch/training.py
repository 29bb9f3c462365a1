"""One training step as the TypeScript trainer runs it (packages/train/src/trainer.ts, optimizer.ts,
loss.ts): forward, sparse cross-entropy from logits (label smoothing, padding left out), backward,
global-norm gradient clipping, AdamW."""
from __future__ import annotations

from typing import Callable, List, Optional

import torch
import torch.nn.functional as F
from torch import nn

from .releases import TrainingRecipe


def sparse_cross_entropy(logits: torch.Tensor, labels: torch.Tensor, label_smoothing: float = 0.0,
                         ignore_index: Optional[int] = None) -> torch.Tensor:
    """Mean over the positions whose label is not ignore_index; the target is
    (1 - ε)·onehot + ε/classes, the same formula as train's sparseCrossEntropy."""
    return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), labels.reshape(-1),
                           ignore_index=-100 if ignore_index is None else ignore_index,
                           label_smoothing=label_smoothing)


def adamw(model: nn.Module, recipe: TrainingRecipe, lr: Optional[float] = None) -> torch.optim.Optimizer:
    """AdamW with decay on tensors of rank >= 2 only (kernels, embeddings, Wa), not on biases or
    norm scales: the TypeScript default. betas (0.9, 0.999), eps 1e-8 as there."""
    params = [p for p in model.parameters() if p.requires_grad]
    groups = [
        {"params": [p for p in params if p.dim() >= 2], "weight_decay": recipe.weight_decay},
        {"params": [p for p in params if p.dim() < 2], "weight_decay": 0.0},
    ]
    return torch.optim.AdamW([g for g in groups if g["params"]], lr=recipe.peak_lr if lr is None else lr,
                             betas=(0.9, 0.999), eps=1e-8)


def make_step(model: nn.Module, recipe: TrainingRecipe, optimizer: torch.optim.Optimizer,
              read_loss: bool = False) -> Callable[[tuple, torch.Tensor], torch.Tensor]:
    """step(inputs, labels) -> loss: one full update. With read_loss the loss is copied to the
    host before the update, as the TypeScript trainer does to stop on a non-finite loss."""
    params: List[torch.Tensor] = [p for p in model.parameters() if p.requires_grad]

    def step(inputs: tuple, labels: torch.Tensor) -> torch.Tensor:
        optimizer.zero_grad(set_to_none=True)
        loss = sparse_cross_entropy(model(*inputs), labels, recipe.label_smoothing, recipe.ignore_index)
        loss.backward()
        if read_loss and not torch.isfinite(loss).item():
            raise FloatingPointError(f"non-finite loss {loss.item()}")
        torch.nn.utils.clip_grad_norm_(params, recipe.clip_norm)
        optimizer.step()
        return loss.detach()

    return step
