import json
import os
import random
import sys
import unittest

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
from attnzoo_torch import augment as A  # noqa: E402

FIXTURE = os.path.join(os.path.dirname(__file__), "fixtures", "augment-ops.json")


class AugmentTest(unittest.TestCase):
    def test_fixture_pixels(self):
        # The same file is checked by packages/vit/src/augment.test.ts against the TypeScript ops.
        with open(FIXTURE) as f:
            cases = json.load(f)["cases"]
        self.assertEqual({c["op"] for c in cases}, set(A.OPS))
        for c in cases:
            src = np.array(c["src"], dtype=np.float64).reshape(c["shape"])
            out = A.apply_op(c["op"], c["m"], c["sign"], src)
            self.assertEqual(out.astype(int).ravel().tolist(), c["out"], c["op"])

    def test_strength_zero_is_identity_and_values_stay_bytes(self):
        src = (np.arange(90).reshape(6, 5, 3) * 37 % 256).astype(np.float64)
        for op in ["shearX", "shearY", "translateX", "translateY", "rotate", "brightness",
                   "color", "contrast", "sharpness", "posterize"]:
            np.testing.assert_array_equal(A.apply_op(op, 0, 1, src), src, op)
        for op in A.OPS:
            out = A.apply_op(op, 1, -1, src)
            self.assertTrue(((out >= 0) & (out <= 255) & (out == np.floor(out))).all(), op)

    def test_random_erasing(self):
        r = random.Random(4).random
        hits = 0
        for _ in range(200):
            img = np.ones((32, 32, 3))
            hit = A.random_erasing(img, 0.5, r)
            zeros = (img[:, :, 0] == 0).sum()
            hits += hit
            self.assertEqual(zeros > 0, hit)
            self.assertLess(zeros / 1024, 0.4)
        self.assertTrue(70 < hits < 130)


if __name__ == "__main__":
    unittest.main()
