"""attnzoo's models in PyTorch: the same architectures as the TypeScript packages (shapes,
parameter counts, op structure), for side-by-side measurements and as their PyTorch twin."""
from .attention import VARIANTS, MultiHeadAttention, attention_impl, set_attention_impl
from .blocks import DecoderBlock, EncoderBlock
from .embeddings import PatchEmbedding, TokenPositionEmbedding
from .feed_forward import FeedForward
from .gemms import Product, distinct_shapes, training_products
from .releases import FAMILIES, TrainingRecipe, build, recipe, release_config, release_names, step_lengths
from .text_classifier import TextClassifier, TextClassifierConfig
from .training import adamw, make_step, sparse_cross_entropy
from .translator import Translator, TranslatorConfig
from .vit import ViTClassifier, ViTConfig

__all__ = [
    "VARIANTS", "MultiHeadAttention", "attention_impl", "set_attention_impl", "DecoderBlock", "EncoderBlock",
    "PatchEmbedding", "TokenPositionEmbedding", "FeedForward", "Product", "distinct_shapes", "training_products",
    "FAMILIES", "TrainingRecipe", "build", "recipe", "release_config", "release_names", "step_lengths",
    "TextClassifier", "TextClassifierConfig", "adamw", "make_step", "sparse_cross_entropy", "Translator",
    "TranslatorConfig", "ViTClassifier", "ViTConfig",
]
