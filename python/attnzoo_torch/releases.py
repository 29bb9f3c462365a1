"""The released model families, with the architecture and training settings of the TypeScript
recipes (packages/vit/src/presets.ts, packages/text-classifier/src/recipes.ts,
packages/seq2seq-translator/src/config.ts and presets.ts, fit.ts). Keep them in step."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Dict, List, Optional, Tuple

from torch import nn

from .attention import VARIANTS
from .text_classifier import TextClassifier, TextClassifierConfig
from .translator import Translator, TranslatorConfig
from .vit import ViTClassifier, ViTConfig


@dataclass(frozen=True)
class TrainingRecipe:
    """What one training step of a release uses besides the model."""
    peak_lr: float
    weight_decay: float
    label_smoothing: float
    clip_norm: float
    batch_size: int
    # Labels equal to this are left out of the loss (the translator's padding).
    ignore_index: Optional[int] = None


def vit_mnist(variant: str) -> ViTConfig:
    # 7x7 = 49 patches + class token = 50 tokens.
    return ViTConfig(variant=variant, image_size=28, channels=1, patch_size=4, width=64, depth=4, num_heads=4,
                     feed_forward_width=128, num_classes=10, pooling="class")


def vit_cifar10(variant: str) -> ViTConfig:
    # 8x8 = 64 patches + class token = 65 tokens.
    return ViTConfig(variant=variant, image_size=32, channels=3, patch_size=4, width=192, depth=6, num_heads=6,
                     feed_forward_width=384, num_classes=10, pooling="class")


def textcls_imdb(variant: str) -> TextClassifierConfig:
    return TextClassifierConfig(variant=variant, vocabulary_size=8000, max_length=256, width=64, num_heads=4,
                                feed_forward_width=128, num_blocks=1, num_classes=2, pooling="mean", dropout=0.1,
                                attention_dropout=0.0, norm_first=True)


def translator_en_es(variant: str) -> TranslatorConfig:
    return TranslatorConfig(variant=variant, vocabulary_size=8000)


# family -> (config factory, model class, training recipe, lengths a step is timed at: None = fixed)
FAMILIES: Dict[str, Tuple] = {
    "vit-mnist": (vit_mnist, ViTClassifier,
                  TrainingRecipe(peak_lr=3e-3, weight_decay=0.05, label_smoothing=0.0, clip_norm=1.0, batch_size=512),
                  None),
    "vit-cifar10": (vit_cifar10, ViTClassifier,
                    TrainingRecipe(peak_lr=1e-3, weight_decay=0.05, label_smoothing=0.1, clip_norm=1.0,
                                   batch_size=512),
                    None),
    # The release length: every text is padded or cut to 256 ids.
    "textcls-imdb": (textcls_imdb, TextClassifier,
                     TrainingRecipe(peak_lr=2e-3, weight_decay=0.01, label_smoothing=0.0, clip_norm=1.0,
                                    batch_size=128),
                     (256,)),
    # Batches are length-bucketed and cut to their longest pair: 12 is a typical bucket, 32 the maximum.
    "translator-en-es": (translator_en_es, Translator,
                         TrainingRecipe(peak_lr=5e-4, weight_decay=0.01, label_smoothing=0.1, clip_norm=1.0,
                                        batch_size=64, ignore_index=0),
                         (12, 32)),
}


def release_names() -> List[str]:
    return [f"{family}-{v}" for family in FAMILIES for v in VARIANTS]


def split_name(name: str) -> Tuple[str, str]:
    """'vit-mnist-super' -> ('vit-mnist', 'super')."""
    family, _, variant = name.rpartition("-")
    if family not in FAMILIES or variant not in VARIANTS:
        raise ValueError(f"unknown release {name!r}: use one of {', '.join(release_names())}")
    return family, variant


def release_config(name: str):
    family, variant = split_name(name)
    return FAMILIES[family][0](variant)


def build(name: str) -> nn.Module:
    """A freshly initialised model of the named release, e.g. build('translator-en-es-super')."""
    family, variant = split_name(name)
    make_config, model_class = FAMILIES[family][:2]
    return model_class(make_config(variant))


def recipe(name: str) -> TrainingRecipe:
    return FAMILIES[split_name(name)[0]][2]


def step_lengths(name: str) -> Tuple[Optional[int], ...]:
    """The sequence lengths a training step is timed at (None: the model's own fixed length)."""
    return FAMILIES[split_name(name)[0]][3] or (None,)
