"""scripts/device/vs-pytorch-merge.py on two small runs: matching, ratios, and "—" for missing rows."""
import json
import os
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
SCRIPT = os.path.join(HERE, "..", "..", "scripts", "device", "vs-pytorch-merge.py")
FIXTURES = os.path.join(HERE, "fixtures")


class Merge(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.TemporaryDirectory()
        subprocess.run([sys.executable, SCRIPT, "--pytorch", os.path.join(FIXTURES, "pytorch.json"),
                        "--tfjs", os.path.join(FIXTURES, "tfjs.json"), "--out", cls.dir.name],
                       check=True, stdout=subprocess.DEVNULL)
        with open(os.path.join(cls.dir.name, "vs-pytorch.md")) as fh:
            cls.md = fh.read().splitlines()
        with open(os.path.join(cls.dir.name, "vs-pytorch.json")) as fh:
            cls.merged = json.load(fh)

    @classmethod
    def tearDownClass(cls):
        cls.dir.cleanup()

    def test_header(self):
        self.assertIn("| device | NVIDIA H200 (Dawn, Vulkan) | NVIDIA H200 |", self.md)
        self.assertIn("| date | 2026-12-01T11:00:00Z | 2026-12-01T10:00:00Z |", self.md)
        self.assertIn("| run | tfjs 4.22.0, backend webgpu | torch 2.5.1+cu124, cuda 12.4, precision float32, "
                      "TF32 off |", self.md)
        self.assertIn("| command | `node app/bench.mjs vs-pytorch --out out` | "
                      "`python3 scripts/device/vs-pytorch.py --out out` |", self.md)

    def test_step_rows(self):
        rows = [line for line in self.md if line.startswith("| vit-") or line.startswith("| t")]
        self.assertEqual(rows, [
            # A release name in tfjs's `model` still matches PyTorch's family + variant.
            # tfjs's op-by-op row (engine eager) and stock-kernel row (engine off) fill their columns.
            "| vit-mnist | super | 512 | — | 30.00 | 10.00 | 3.00 | 40.00 | 4.00 | 60.00 | 6.00 | 350 | 10 | 500 | 115,738 |",
            "| translator-en-es | sdpa | 512 | 12 | 50.00 | 20.00 | 2.50 | — | — | — | — | — | — | 1,500 | 7,274,304 |",
            "| translator-en-es | sdpa | 512 | 32 | — | 40.00 | — | — | — | — | — | — | — | 3,000 | 7,274,304 |",
            "| textcls-imdb | super | 512 | 256 | — | — | — | — | — | — | — | — | — | — | 619,330 |"
            " PyTorch: OutOfMemoryError: CUDA out of memory",
            "| vit-cifar10 | sdpa | 512 | — | 300.00 | — | — | — | — | — | — | — | — | — | — |",
        ])

    def test_replay_fallbacks_are_listed(self):
        self.assertIn("|  | replay fell back: int32[512,12] int32[512,12] int32[512,12]: the step sent no work "
                      "to the GPU |", self.md)

    def test_gemm_rows(self):
        rows = [line for line in self.md if line.startswith("| NN") or line.startswith("| NT")
                or line.startswith("| TN")]
        self.assertEqual(rows, [
            # The sweep row (a forced tile) is tuning data: the planner's row is the result.
            "| NN b1 16384x256x8000 | 1 | 16,384 | 256 | 8,000 | NN | 4.000 | 10.00 | 1.000 | 40.00 | 25 % | 5.00 | 12 % |",
            "| NT b4096 32x32x32 | 4,096 | 32 | 32 | 32 | NT | — | — | 0.050 | 5.00 | — | — | — |",
            "| TN b1 256x16384x8000 | 1 | 256 | 16,384 | 8,000 | TN | 6.000 | 11.20 | — | — | — | — | — |",
        ])

    def test_merged_json(self):
        steps = {(s["model"], s["variant"], s["length"]): s for s in self.merged["steps"]}
        self.assertAlmostEqual(steps[("vit-mnist", "super", None)]["ratio"], 3.0)
        self.assertAlmostEqual(steps[("vit-mnist", "super", None)]["eagerRatio"], 4.0)
        self.assertIsNone(steps[("translator-en-es", "sdpa", 32)]["tfjs"])
        self.assertIsNone(steps[("vit-cifar10", "sdpa", None)]["pytorch"])
        self.assertAlmostEqual(self.merged["gemm"][0]["speedFraction"], 0.25)
        self.assertEqual(self.merged["pytorch"]["device"], "NVIDIA H200")
        self.assertNotIn("steps", self.merged["tfjs"])

    def test_a_missing_side_still_gives_a_table(self):
        with tempfile.TemporaryDirectory() as out:
            subprocess.run([sys.executable, SCRIPT, "--pytorch", os.path.join(FIXTURES, "pytorch.json"),
                            "--tfjs", os.path.join(out, "absent.json"), "--out", out],
                           check=True, stdout=subprocess.DEVNULL)
            with open(os.path.join(out, "vs-pytorch.md")) as fh:
                md = fh.read()
        self.assertIn("tfjs results missing:", md)
        self.assertIn("| vit-mnist | super | 512 | — | — | 10.00 | — |", md)


if __name__ == "__main__":
    unittest.main()
