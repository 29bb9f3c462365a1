"""The twin gives the TypeScript models' outputs: for each family and variant, a seeded tiny model
exported by `exportSafetensors` (python/tests/fixtures/safetensors, written by
apps/cli/src/safetensors-fixtures.test.ts) is loaded by port.from_safetensors and run on the same
inputs; its logits must equal tfjs's (CPU backend) within float32 rounding."""
import glob
import json
import os
import sys
import unittest

import numpy as np
import torch

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
from attnzoo_torch import port  # noqa: E402

FIXTURES = os.environ.get("ATTNZOO_TWIN_FIXTURES",
                          os.path.join(os.path.dirname(__file__), "fixtures", "safetensors"))


class TwinParityTest(unittest.TestCase):
    def test_every_family_and_variant_matches_tfjs(self):
        cases = sorted(glob.glob(os.path.join(FIXTURES, "*.json")))
        self.assertEqual(len(cases), 12, f"expected 3 families x 4 variants in {FIXTURES}")
        for path in cases:
            with open(path) as f:
                case = json.load(f)
            with self.subTest(case=os.path.basename(path)):
                model = port.from_safetensors(os.path.join(FIXTURES, case["safetensors"]))
                inputs = [torch.tensor(np.array(i["data"], dtype=np.float32 if i["dtype"] == "float32" else np.int64)
                                       .reshape(i["shape"])) for i in case["inputs"]]
                with torch.no_grad():
                    got = model(*inputs).numpy()
                want = np.array(case["outputs"][0]["data"], dtype=np.float32).reshape(case["outputs"][0]["shape"])
                self.assertEqual(got.shape, want.shape)
                err = float(np.abs(got - want).max())
                self.assertLessEqual(err, case["tolerance"] * max(1.0, float(np.abs(want).max())),
                                     f"{case['family']}-{case['variant']}: max |twin - tfjs| = {err:.3g}")


if __name__ == "__main__":
    unittest.main()
