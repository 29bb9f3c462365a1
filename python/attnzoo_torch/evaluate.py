"""Evaluates a TypeScript ViT preset with the twin: the preset's float16/float32 weights loaded by
port.py, images normalised as the preset's preprocessor does, accuracy and mean loss printed as
JSON; the same figures as `attnzoo evaluate vit --from <preset>` on the same data.

    python3 -m attnzoo_torch.evaluate models/vit-cifar10-super/preset --data cifar-10-jpeg-q75.tar.gz
"""
from __future__ import annotations

import argparse
import json
import os

import numpy as np
import torch

from .port import from_tfjs_preset
from .train_vit import read_jpeg_tar
from .training import sparse_cross_entropy


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("preset", help="a preset folder (model.json, config.json)")
    p.add_argument("--data", required=True, help="CIFAR-10 JPEG tarball (test/<class>/*.jpg)")
    p.add_argument("--split", default="test")
    a = p.parse_args(argv)
    with open(os.path.join(a.preset, "config.json")) as f:
        task = json.load(f)["task"]["config"]
    pre = task["preprocessor"]
    model = from_tfjs_preset(a.preset)
    data, classes = read_jpeg_tar(a.data, (a.split,))
    images, labels = data[a.split]
    # The preset's class order, not the archive's.
    order = task.get("classNames") or classes
    labels = np.array([order.index(classes[y]) for y in labels])
    scale = np.array([pre.get("rescale", 1 / 255) / s for s in pre["std"]], dtype=np.float32)
    shift = np.array([-m / s for m, s in zip(pre["mean"], pre["std"])], dtype=np.float32)
    correct, loss = 0, 0.0
    with torch.no_grad():
        for i in range(0, len(labels), 500):
            x = torch.from_numpy(images[i:i + 500].astype(np.float32) * scale + shift)
            y = torch.from_numpy(labels[i:i + 500])
            logits = model(x)
            loss += sparse_cross_entropy(logits, y).item() * len(y)
            correct += (logits.argmax(-1) == y).sum().item()
    n = len(labels)
    print(json.dumps({"preset": a.preset, "split": a.split, "count": n, "accuracy": correct / n,
                      "loss": loss / n, "framework": f"pytorch {torch.__version__}"}))


if __name__ == "__main__":
    main()
