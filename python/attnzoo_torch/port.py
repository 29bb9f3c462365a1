"""Weights between the TypeScript presets and the twin: tfjs weight names <-> state_dict keys.

A preset's weights travel as safetensors files whose tensor names are the tfjs weight names
(`vit_block0_attention/query_kernel`, shapes as tfjs: dense kernels [in, out]) and whose metadata
holds the preset's config (`attnzoo.config`, the JSON of the preset's config.json); see
docs/safetensors.md. The twin keeps nn.Linear weights [out, in]: every dense kernel is transposed
on the way, nothing else changes.

    model = from_safetensors("vit-mnist-super.safetensors")     # the twin, weights loaded
    to_safetensors(model, "trained.safetensors", config)       # back, for attnzoo import
"""
from __future__ import annotations

import json
import os
import re
from typing import Dict, List, Tuple

import numpy as np
import torch
from torch import nn

from . import safetensors_io
from .text_classifier import TextClassifier, TextClassifierConfig
from .translator import Translator, TranslatorConfig
from .vit import ViTClassifier, ViTConfig

VIT_TASK = "attnzoo.vit.ImageClassifier"
TEXT_TASK = "attnzoo.text-classifier.TextClassifier"
TRANSLATOR_TASK = "attnzoo.seq2seq-translator.Translator"

# (tfjs name pattern, twin key template), first match wins. Layer names as in
# packages/vit/src/backbone.ts, packages/text-classifier/src/model.ts, seq2seq-translator/src/model.ts.
_ATTENTION = r"(query|key|value|output)_(kernel|bias)"
RULES: List[Tuple[str, str]] = [
    # ViT
    (r"vit_patches/patch_kernel", "embedding.projection.weight"),
    (r"vit_patches/patch_bias", "embedding.projection.bias"),
    (r"vit_patches/class_token", "embedding.class_token"),
    (r"vit_patches/position_embeddings", "embedding.positions"),
    (r"vit_block(\d+)_attention/" + _ATTENTION, r"blocks.\1.attention.\2.\3"),
    (r"vit_block(\d+)_attention/mixing_kernel", r"blocks.\1.attention.mixing"),
    (r"vit_block(\d+)_(norm[12])/(gamma|beta)", r"blocks.\1.\2.\3"),
    (r"vit_block(\d+)_ffn_(inner|outer)/(kernel|bias)", r"blocks.\1.feed_forward.\2.\3"),
    (r"vit_final_norm/(gamma|beta)", r"norm.\1"),
    # text classifier
    (r"embedding/token_embeddings", "embedding.tokens.weight"),
    (r"embedding/position_embeddings", "embedding.positions"),
    (r"encoder_(\d+)_attention/" + _ATTENTION, r"blocks.\1.attention.\2.\3"),
    (r"encoder_(\d+)_attention/mixing_kernel", r"blocks.\1.attention.mixing"),
    (r"encoder_(\d+)_(norm[12])/(gamma|beta)", r"blocks.\1.\2.\3"),
    (r"encoder_(\d+)_ffn_(inner|outer)/(kernel|bias)", r"blocks.\1.feed_forward.\2.\3"),
    (r"final_norm/(gamma|beta)", r"norm.\1"),
    # ViT and text classifier
    (r"classifier_head/(kernel|bias)", r"head.\1"),
    # translator
    (r"shared_embedding/token_embeddings", "embedding.tokens.weight"),
    (r"shared_embedding/position_embeddings", "embedding.positions"),
    (r"enc(\d+)_attention/" + _ATTENTION, r"encoder.\1.attention.\2.\3"),
    (r"enc(\d+)_attention/mixing_kernel", r"encoder.\1.attention.mixing"),
    (r"enc(\d+)_(norm[12])/(gamma|beta)", r"encoder.\1.\2.\3"),
    (r"enc(\d+)_ffn_(inner|outer)/(kernel|bias)", r"encoder.\1.feed_forward.\2.\3"),
    (r"dec(\d+)_(self_attention|cross_attention)/" + _ATTENTION, r"decoder.\1.\2.\3.\4"),
    (r"dec(\d+)_(self_attention|cross_attention)/mixing_kernel", r"decoder.\1.\2.mixing"),
    (r"dec(\d+)_norm1/(gamma|beta)", r"decoder.\1.norms.0.\2"),
    (r"dec(\d+)_norm2/(gamma|beta)", r"decoder.\1.norms.1.\2"),
    (r"dec(\d+)_norm3/(gamma|beta)", r"decoder.\1.norms.2.\2"),
    (r"dec(\d+)_ffn_(inner|outer)/(kernel|bias)", r"decoder.\1.feed_forward.\2.\3"),
    (r"encoder_norm/(gamma|beta)", r"encoder_norm.\1"),
    (r"decoder_norm/(gamma|beta)", r"decoder_norm.\1"),
    (r"logits/(kernel|bias)", r"logits.\1"),
]
_SUFFIX = {"kernel": "weight", "gamma": "weight", "beta": "bias"}


def twin_key(tfjs_name: str) -> str:
    """'vit_block0_attention/query_kernel' -> 'blocks.0.attention.query.weight'. A trailing _N that
    tfjs adds to the names of a second model built in one process is ignored."""
    name = re.sub(r"_\d+$", "", tfjs_name)
    for pattern, template in RULES:
        m = re.fullmatch(pattern, name)
        if m:
            key = m.expand(template)
            head, _, last = key.rpartition(".")
            return f"{head}.{_SUFFIX.get(last, last)}" if head else key
    raise KeyError(f"no twin parameter for the tfjs weight {tfjs_name!r} (see RULES in attnzoo_torch/port.py)")


def _linear_weights(model: nn.Module) -> set:
    return {f"{name}.weight" for name, m in model.named_modules() if isinstance(m, nn.Linear)}


def model_from_config(config: Dict) -> nn.Module:
    """The twin for a preset's config.json (or its task entry, {className, config})."""
    task = config.get("task", config)
    cls, c = task.get("className"), task.get("config", {})
    if cls == VIT_TASK:
        b = c["backbone"]
        return ViTClassifier(ViTConfig(
            variant=b["variant"], image_size=b["imageSize"], channels=b["channels"], patch_size=b["patchSize"],
            width=b["width"], depth=b["depth"], num_heads=b["numHeads"], feed_forward_width=b["feedForwardWidth"],
            num_classes=c["numClasses"], pooling=b.get("pooling", "class"), dropout=b.get("dropout", 0.0),
            attention_dropout=b.get("attentionDropout", 0.0), activation=b.get("activation", "gelu")))
    if cls == TEXT_TASK:
        return TextClassifier(TextClassifierConfig(
            variant=c["variant"], vocabulary_size=c["vocabularySize"], max_length=c["maxLength"], width=c["width"],
            num_heads=c["numHeads"], feed_forward_width=c["feedForwardWidth"], num_blocks=c["numBlocks"],
            num_classes=c["numClasses"], pooling=c.get("pooling", "mean"), dropout=c.get("dropout", 0.1),
            attention_dropout=c.get("attentionDropout", 0.0), norm_first=c.get("normFirst", True),
            pad_id=c.get("padId", 0)))
    if cls == TRANSLATOR_TASK:
        return Translator(TranslatorConfig(
            variant=c["variant"], vocabulary_size=c["vocabularySize"], width=c["width"], num_heads=c["numHeads"],
            feed_forward_width=c["feedForwardWidth"], encoder_layers=c["encoderLayers"],
            decoder_layers=c["decoderLayers"], source_max_length=c["sourceMaxLength"],
            target_max_length=c["targetMaxLength"], dropout=c.get("dropout", 0.1),
            attention_dropout=c.get("attentionDropout", 0.0), activation=c.get("activation", "relu"),
            pad_id=c.get("padId", 0), bos_id=c.get("bosId", 1)))
    raise ValueError(f"config task {cls!r}: the twin builds {VIT_TASK}, {TEXT_TASK} and {TRANSLATOR_TASK}")


def load_tfjs_weights(model: nn.Module, weights: Dict[str, np.ndarray], source: str = "weights") -> nn.Module:
    """Copies tfjs-named weights into the twin after checking that every name and shape matches."""
    state = model.state_dict()
    linear = _linear_weights(model)
    new, problems, seen = {}, [], set()
    for name, value in weights.items():
        try:
            key = twin_key(name)
        except KeyError as e:
            problems.append(str(e.args[0]))
            continue
        if key not in state:
            problems.append(f"{name!r} -> {key!r}: the twin has no such parameter")
            continue
        v = np.asarray(value, dtype=np.float32)
        if key in linear:
            v = v.T
        if tuple(v.shape) != tuple(state[key].shape):
            problems.append(f"{name!r}: shape {list(value.shape)} does not fit {key} {list(state[key].shape)}")
            continue
        new[key] = torch.from_numpy(np.ascontiguousarray(v))
        seen.add(key)
    missing = [k for k in state if k not in seen]
    if missing:
        problems.append(f"no weight for {', '.join(missing)}")
    if problems:
        raise ValueError(f"{source}: the weights do not fit the model: " + "; ".join(problems))
    model.load_state_dict(new)
    return model


def tfjs_weights(model: nn.Module, names: List[str]) -> Dict[str, np.ndarray]:
    """The twin's parameters under their tfjs names (`names`: those of the preset, in its order)."""
    state = model.state_dict()
    linear = _linear_weights(model)
    out = {}
    for name in names:
        key = twin_key(name)
        v = state[key].detach().cpu().numpy()
        out[name] = v.T.copy() if key in linear else v
    return out


def from_safetensors(path: str) -> nn.Module:
    """The twin built from the file's `attnzoo.config` metadata, with the file's weights."""
    weights, meta = safetensors_io.read(path)
    if "attnzoo.config" not in meta:
        raise ValueError(f"{path}: no attnzoo.config in the metadata; export it with `attnzoo export`")
    model = model_from_config(json.loads(meta["attnzoo.config"]))
    return load_tfjs_weights(model, weights, path).eval()


def to_safetensors(model: nn.Module, path: str, config: Dict, names: List[str], dtype: str = "F32",
                   preset: str | None = None) -> None:
    """Writes the twin's weights under the tfjs names `names` with the preset's config.json, for
    `attnzoo import`."""
    meta = {"format": "attnzoo", "attnzoo.config": json.dumps(config)}
    if preset:
        meta["attnzoo.preset"] = preset
    safetensors_io.write(path, tfjs_weights(model, names), meta, dtype)


def read_tfjs_preset(folder: str) -> Tuple[Dict, Dict[str, np.ndarray]]:
    """A preset folder's config.json and its weights (model.json + shards), float32."""
    with open(os.path.join(folder, "config.json")) as f:
        config = json.load(f)
    with open(os.path.join(folder, "model.json")) as f:
        manifest = json.load(f)["weightsManifest"]
    weights = {}
    for group in manifest:
        data = b"".join(open(os.path.join(folder, p), "rb").read() for p in group["paths"])
        offset = 0
        for w in group["weights"]:
            size = int(np.prod(w["shape"])) if w["shape"] else 1
            q = w.get("quantization")
            if q and q.get("dtype") == "float16":
                arr = np.frombuffer(data, "<f2", size, offset).astype(np.float32)
                offset += 2 * size
            elif q:
                raise ValueError(f"{folder}: weight {w['name']} is quantised as {q['dtype']}; float16 and float32 are read")
            else:
                arr = np.frombuffer(data, "<f4", size, offset).astype(np.float32)
                offset += 4 * size
            weights[w["name"]] = arr.reshape(w["shape"])
    return config, weights


def from_tfjs_preset(folder: str) -> nn.Module:
    """The twin of a preset folder (models/<name>/preset), weights loaded."""
    config, weights = read_tfjs_preset(folder)
    return load_tfjs_weights(model_from_config(config), weights, folder).eval()
