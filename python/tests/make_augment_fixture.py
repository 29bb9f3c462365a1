"""Writes fixtures/augment-ops.json: every augmentation op on two small seeded images (run from the repo root)."""
import json, sys
sys.path.insert(0, 'python')
import numpy as np
from attnzoo_torch import augment as A
rng = np.random.default_rng(3)
cases = []
for (h, w, c) in [(5, 6, 3), (5, 5, 1)]:
    img = rng.integers(0, 256, size=(h, w, c)).astype(np.float64)
    img[0, :, :] = 17  # a flat row, so that equalize/autocontrast see ties
    for op in A.OPS:
        for m, sign in [(0.3, 1), (1.0, -1), (23 / 30, 1)]:
            out = A.apply_op(op, m, sign, img)
            cases.append({"op": op, "m": m, "sign": sign, "shape": [h, w, c],
                          "src": img.astype(int).ravel().tolist(), "out": out.astype(int).ravel().tolist()})
json.dump({"about": "Pixels of every TrivialAugment op (python/attnzoo_torch/augment.py, packages/vit/src/augment.ts must agree); made by: python3 python/tests/make_augment_fixture.py",
           "cases": cases}, open('python/tests/fixtures/augment-ops.json', 'w'))
print(len(cases))
