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

    def test_data_parallel_with_torchrun_on_two_cpu_processes_and_export(self):
        import subprocess

        import torch

        from attnzoo_torch import port, train_vit

        here = os.path.dirname(os.path.abspath(__file__))
        root = os.path.dirname(os.path.dirname(here))
        with tempfile.TemporaryDirectory() as d:
            data = os.path.join(d, "cifar.tar.gz")
            jpeg_tar(data, 8)
            out, st = os.path.join(d, "r.json"), os.path.join(d, "w.safetensors")
            like = os.path.join(root, "models", "vit-cifar10-efficient", "preset")
            env = dict(os.environ, PYTHONPATH=os.path.join(root, "python"), OMP_NUM_THREADS="1")
            args = [sys.executable, "-m", "attnzoo_torch.train_vit", "vit-cifar10-efficient", "--data", data,
                    "--epochs", "2", "--batch-size", "8", "--checkpoints", os.path.join(d, "ck"), "--workers", "0",
                    "--device", "cpu", "--out", out, "--export-like", like, "--export", st]
            # The environment torchrun gives each rank (Debian's torch 1.13 launcher fails under
            # Python 3.12: Std.from_str returns None); the GPU machine runs the real torchrun.
            procs = [subprocess.Popen(args, env=dict(env, WORLD_SIZE="2", RANK=str(r), LOCAL_RANK=str(r),
                                                     MASTER_ADDR="127.0.0.1", MASTER_PORT="29533"),
                                      stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
                     for r in range(2)]
            outputs = [p.communicate(timeout=600)[0] for p in procs]
            for p, o in zip(procs, outputs):
                self.assertEqual(p.returncode, 0, o[-3000:])
            run = type("Run", (), {"stdout": outputs[0]})
            with open(out) as f:
                result = json.load(f)
            self.assertEqual(result["processes"], 2)
            self.assertEqual(result["process_group"], "gloo")
            self.assertTrue(result["finished"])
            # 16 images, global batch 8 over 2 processes: 2 steps an epoch of 4 images each.
            self.assertIn("2 epochs of 2 steps on 2 processes", run.stdout)
            # The export loads back into a twin (names, shapes and config of the TypeScript preset)
            # and scores what the run reported on the test images.
            twin = port.from_safetensors(st)
            images, _ = train_vit.read_jpeg_tar(data)
            loader = torch.utils.data.DataLoader(
                train_vit.AugmentedImages(*images["test"], train_vit.PREPROCESS["vit-cifar10"], False), batch_size=4)
            acc, loss = train_vit.evaluate(twin, loader, "cpu")
            self.assertEqual(acc, result["history"][-1]["test_accuracy"])
            self.assertAlmostEqual(loss, result["history"][-1]["test_loss"], places=5)

    def test_one_process_under_torchrun_still_trains_through_a_process_group(self):
        # A one-GPU machine runs `torchrun --nproc-per-node 1`: the run must go through DDP and the
        # process group (NCCL there, gloo here), not silently fall back to a plain loop.
        import subprocess

        here = os.path.dirname(os.path.abspath(__file__))
        root = os.path.dirname(os.path.dirname(here))
        with tempfile.TemporaryDirectory() as d:
            data = os.path.join(d, "cifar.tar.gz")
            jpeg_tar(data, 4)
            out = os.path.join(d, "r.json")
            env = dict(os.environ, PYTHONPATH=os.path.join(root, "python"), OMP_NUM_THREADS="1", WORLD_SIZE="1",
                       RANK="0", LOCAL_RANK="0", MASTER_ADDR="127.0.0.1", MASTER_PORT="29534")
            run = subprocess.run([sys.executable, "-m", "attnzoo_torch.train_vit", "vit-cifar10-efficient",
                                  "--data", data, "--epochs", "1", "--batch-size", "4", "--checkpoints",
                                  os.path.join(d, "ck"), "--workers", "0", "--device", "cpu", "--out", out],
                                 env=env, capture_output=True, text=True, timeout=600)
            self.assertEqual(run.returncode, 0, run.stdout[-2000:] + run.stderr[-2000:])
            with open(out) as f:
                result = json.load(f)
            self.assertEqual((result["processes"], result["process_group"]), (1, "gloo"))

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
