"""scripts/device/vs-pytorch.py end to end on CPU at a tiny size, and the GEMM list it writes."""
import contextlib
import importlib.util
import io
import json
import os
import subprocess
import sys
import tempfile
import unittest

SCRIPT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "scripts", "device", "vs-pytorch.py")


def load_script():
    sys.dont_write_bytecode = True  # no __pycache__ beside the script
    spec = importlib.util.spec_from_file_location("vs_pytorch", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class BenchScript(unittest.TestCase):
    def test_cpu_run_writes_the_schema(self):
        with tempfile.TemporaryDirectory() as out:
            given = os.path.join(out, "given.json")
            with open(given, "w") as fh:
                json.dump({"shapes": [{"name": "t", "batch": 3, "M": 4, "K": 5, "N": 6, "transA": True,
                                       "transB": True}]}, fh)
            subprocess.run([sys.executable, SCRIPT, "--device", "cpu", "--batch", "2", "--steps", "2", "--models",
                            "vit-mnist,translator-en-es", "--variants", "super", "--translator-lengths", "6",
                            "--gemm-shapes", given, "--gemm-samples", "1", "--out", out],
                           check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            with open(os.path.join(out, "pytorch.json")) as fh:
                report = json.load(fh)
        for key in ("torch", "device", "cuda", "date", "steps", "gemm"):
            self.assertIn(key, report)
        self.assertEqual([(s["model"], s["variant"], s.get("length")) for s in report["steps"]],
                         [("vit-mnist", "super", None), ("translator-en-es", "super", 6)])
        for s in report["steps"]:
            self.assertNotIn("error", s)
            self.assertGreater(s["ms"], 0)
            self.assertEqual(s["batch"], 2)
        self.assertEqual(report["steps"][0]["params"], 115738)
        self.assertEqual([(g["name"], g["batch"], g["transA"], g["transB"]) for g in report["gemm"]],
                         [("t", 3, True, True)])
        g = report["gemm"][0]
        self.assertAlmostEqual(g["tflops"], 2 * 3 * 4 * 5 * 6 / (g["ms"] * 1e-3) / 1e12)

    def test_derived_gemms_are_timed_and_emitted(self):
        script = load_script()
        with tempfile.TemporaryDirectory() as out:
            path = os.path.join(out, "shapes.json")
            with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
                script.main(["--device", "cpu", "--models", "vit-mnist", "--variants", "efficient", "--batch", "1",
                             "--steps", "1", "--gemm-samples", "1", "--emit-shapes", path, "--out", out])
            with open(path) as fh:
                emitted = json.load(fh)
            with open(os.path.join(out, "pytorch.json")) as fh:
                timed = json.load(fh)["gemm"]
        names = [s["name"] for s in emitted["shapes"]]
        self.assertEqual([g["name"] for g in timed], names)
        self.assertTrue(all(g["ms"] > 0 for g in timed))
        # Patch projection, 49 patches of 16 pixels to width 64: forward and kernel gradient only.
        self.assertIn("NN b1 49x16x64", names)
        self.assertIn("TN b1 16x49x64", names)
        self.assertNotIn("NT b1 49x64x16", names)

    def test_emitted_shapes_at_batch_512(self):
        script = load_script()
        per_model, shapes = script.derive_shapes(script.parse_args([]))  # the defaults: batch 512, all models
        self.assertEqual(len(per_model), 20)  # 4 variants x (2 ViTs + text + translator at 2 lengths)
        keys = [(s["batch"], s["M"], s["K"], s["N"], s["transA"], s["transB"]) for s in shapes]
        self.assertEqual(len(keys), len(set(keys)))
        # The text classifier's scores, 512 x 4 heads, 256 x 16 x 256: attention's own product.
        scores = [s for s in shapes if (s["batch"], s["M"], s["K"], s["N"], s["transB"]) == (2048, 256, 16, 256, True)]
        self.assertEqual(len(scores), 1)
        self.assertTrue(scores[0]["attentionCore"])
        self.assertTrue(any(u.startswith("textcls-imdb-sdpa L256: attention scores") for u in scores[0]["uses"]))
        logits = [s for s in shapes if s["name"] == "NN b1 16384x256x8000"]
        self.assertEqual(len(logits), 1)
        self.assertFalse(logits[0]["attentionCore"])


if __name__ == "__main__":
    unittest.main()
