"""`attnzoo export --names hf` writes an SDPA ViT as transformers' ViTForImageClassification keeps
it: this runs the exported folder (python/tests/fixtures/safetensors/hf/vit-sdpa, written by
apps/cli/src/safetensors-fixtures.test.ts) with the computation of transformers' ViT, written out
here from its state-dict names and config.json alone (Conv2d patch projection, class token and
position embeddings, pre-norm layers with Linear [out, in] weights, the classifier on the class
token), and compares the logits with tfjs's on the same inputs (vit-sdpa.json)."""
import json
import math
import os
import sys
import unittest

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
from attnzoo_torch import safetensors_io  # noqa: E402

FIXTURES = os.path.join(os.path.dirname(__file__), "fixtures", "safetensors")


def hf_vit_logits(w, config, pixel_values):
    """ViTForImageClassification's forward (eval mode) on NCHW pixel values, from its state dict."""
    used = set()

    def p(name):
        used.add(name)
        return w[name]

    eps = config["layer_norm_eps"]
    d = config["hidden_size"]
    heads = config["num_attention_heads"]
    act = {"gelu": F.gelu, "relu": F.relu}[config["hidden_act"]]
    e = "vit.embeddings."
    x = F.conv2d(pixel_values, p(e + "patch_embeddings.projection.weight"),
                 p(e + "patch_embeddings.projection.bias"), stride=config["patch_size"])
    x = x.flatten(2).transpose(1, 2)
    cls = p(e + "cls_token").expand(x.shape[0], -1, -1)
    x = torch.cat([cls, x], dim=1) + p(e + "position_embeddings")
    for i in range(config["num_hidden_layers"]):
        pre = f"vit.encoder.layer.{i}."

        def lin(t, name):
            return F.linear(t, p(pre + name + ".weight"), p(pre + name + ".bias"))

        h = F.layer_norm(x, (d,), p(pre + "layernorm_before.weight"), p(pre + "layernorm_before.bias"), eps)
        b, n, _ = h.shape

        def split(t):
            return t.view(b, n, heads, d // heads).transpose(1, 2)

        q = split(lin(h, "attention.attention.query"))
        k = split(lin(h, "attention.attention.key"))
        v = split(lin(h, "attention.attention.value"))
        scores = torch.softmax(q @ k.transpose(-1, -2) / math.sqrt(d // heads), dim=-1)
        ctx = (scores @ v).transpose(1, 2).reshape(b, n, d)
        x = x + lin(ctx, "attention.output.dense")
        h = F.layer_norm(x, (d,), p(pre + "layernorm_after.weight"), p(pre + "layernorm_after.bias"), eps)
        x = x + lin(act(lin(h, "intermediate.dense")), "output.dense")
    x = F.layer_norm(x, (d,), p("vit.layernorm.weight"), p("vit.layernorm.bias"), eps)
    logits = F.linear(x[:, 0], p("classifier.weight"), p("classifier.bias"))
    return logits, used


class HuggingFaceNamesTest(unittest.TestCase):
    def test_exported_folder_computes_tfjs_logits_as_transformers_vit(self):
        folder = os.path.join(FIXTURES, "hf", "vit-sdpa")
        with open(os.path.join(folder, "config.json")) as f:
            config = json.load(f)
        self.assertEqual(config["architectures"], ["ViTForImageClassification"])
        tensors, metadata = safetensors_io.read(os.path.join(folder, "model.safetensors"))
        self.assertEqual(metadata.get("attnzoo.names"), "hf")
        w = {k: torch.tensor(v) for k, v in tensors.items()}
        with open(os.path.join(FIXTURES, "vit-sdpa.json")) as f:
            case = json.load(f)
        images = np.array(case["inputs"][0]["data"], dtype=np.float32).reshape(case["inputs"][0]["shape"])
        pixel_values = torch.tensor(images).permute(0, 3, 1, 2)  # NHWC (tfjs) → NCHW (PyTorch)
        with torch.no_grad():
            logits, used = hf_vit_logits(w, config, pixel_values)
        self.assertEqual(used, set(w), "every tensor of the file is a parameter of the model, and no more")
        expected = np.array(case["outputs"][0]["data"], dtype=np.float32).reshape(case["outputs"][0]["shape"])
        np.testing.assert_allclose(logits.numpy(), expected, atol=1e-5, rtol=0)


if __name__ == "__main__":
    unittest.main()
