import io
import json
import os
import sys
import tarfile
import tempfile
import unittest

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

try:
    from PIL import Image
except ImportError:  # Debian's python3-pil; the GPU machine has Pillow
    Image = None


def jpeg_tar(path, per_class):
    rng = np.random.default_rng(0)
    with tarfile.open(path, "w:gz") as tar:
        for split, n in (("train", per_class), ("test", 2)):
            for c, name in enumerate(["cat", "dog"]):
                for i in range(n):
                    img = np.full((32, 32, 3), 60 + 120 * c, np.uint8) + rng.integers(0, 40, (32, 32, 3), np.uint8)
                    buf = io.BytesIO()
                    Image.fromarray(img).save(buf, format="JPEG")
                    info = tarfile.TarInfo(f"{split}/{name}/{i:04d}.jpg")
                    info.size = buf.tell()
                    buf.seek(0)
                    tar.addfile(info, buf)


@unittest.skipIf(Image is None, "needs Pillow (python3-pil)")
class TrainVitTest(unittest.TestCase):
    def test_trains_and_resumes_the_same_schedule(self):
        from attnzoo_torch import train_vit

        with tempfile.TemporaryDirectory() as d:
            data = os.path.join(d, "cifar.tar.gz")
            jpeg_tar(data, 8)
            images, classes = train_vit.read_jpeg_tar(data)
            self.assertEqual(classes, ["cat", "dog"])
            self.assertEqual(images["train"][0].shape, (16, 32, 32, 3))
            self.assertEqual(images["test"][1].tolist(), [0, 0, 1, 1])
            args = ["vit-cifar10-efficient", "--data", data, "--epochs", "3", "--batch-size", "8",
                    "--checkpoints", os.path.join(d, "ck"), "--workers", "0", "--device", "cpu",
                    "--out", os.path.join(d, "r.json")]
            # A time limit already used up after the first epoch: pauses with status 75.
            self.assertEqual(train_vit.main(args + ["--time-limit-minutes", "0.001"]), train_vit.EXIT_PAUSED)
            with open(os.path.join(d, "r.json")) as f:
                first = json.load(f)
            self.assertFalse(first["finished"])
            self.assertEqual(len(first["history"]), 1)
            self.assertEqual(train_vit.main(args), 0)
            with open(os.path.join(d, "r.json")) as f:
                done = json.load(f)
            self.assertTrue(done["finished"])
            self.assertEqual([h["epoch"] for h in done["history"]], [1, 2, 3])
            self.assertEqual(done["history"][0], first["history"][0])
            self.assertEqual(done["test_images"], 4)

    def test_schedule_matches_the_typescript_one(self):
        from attnzoo_torch.train_vit import lr_at

        # 100 steps, 5 % warm-up: 1/5, 2/5, ... of the peak, then cosine to 0.
        self.assertAlmostEqual(lr_at(0, 100, 1.0, 0.05), 0.2)
        self.assertAlmostEqual(lr_at(4, 100, 1.0, 0.05), 1.0)
        self.assertAlmostEqual(lr_at(5, 100, 1.0, 0.05), 1.0)
        self.assertAlmostEqual(lr_at(52 + 1, 100, 1.0, 0.05), 0.5 * (1 + np.cos(np.pi * 48 / 95)))
        self.assertAlmostEqual(lr_at(100, 100, 1.0, 0.05), 0.0)


if __name__ == "__main__":
    unittest.main()
