import json
import os
import struct
import sys
import tempfile
import unittest

import numpy as np
import torch

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
from attnzoo_torch import port, safetensors_io  # noqa: E402

MODELS = os.path.join(os.path.dirname(__file__), "..", "..", "models")


class PortTest(unittest.TestCase):
    def test_names(self):
        self.assertEqual(port.twin_key("vit_block0_attention/query_kernel"), "blocks.0.attention.query.weight")
        self.assertEqual(port.twin_key("vit_block3_attention/mixing_kernel"), "blocks.3.attention.mixing")
        self.assertEqual(port.twin_key("encoder_0_norm2/beta"), "blocks.0.norm2.bias")
        self.assertEqual(port.twin_key("dec1_cross_attention/value_bias_1"), "decoder.1.cross_attention.value.bias")
        self.assertEqual(port.twin_key("dec0_norm3/gamma"), "decoder.0.norms.2.weight")
        with self.assertRaises(KeyError):
            port.twin_key("something/else")

    def test_every_committed_preset_loads_into_the_twin(self):
        names = sorted(n for n in os.listdir(MODELS) if os.path.isdir(os.path.join(MODELS, n, "preset")))
        self.assertGreaterEqual(len(names), 16)
        for name in names:
            folder = os.path.join(MODELS, name, "preset")
            twin = port.from_tfjs_preset(folder)
            with open(os.path.join(folder, "metadata.json")) as f:
                total = json.load(f)["parameters"]["total"]
            self.assertEqual(sum(p.numel() for p in twin.parameters()), total, name)

    def test_safetensors_round_trip_and_a_twin_through_it(self):
        folder = os.path.join(MODELS, "vit-mnist-super", "preset")
        config, weights = port.read_tfjs_preset(folder)
        twin = port.from_tfjs_preset(folder)
        x = torch.randn(3, 28, 28, 1, generator=torch.Generator().manual_seed(0))
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "w.safetensors")
            port.to_safetensors(twin, path, config, list(weights), preset="vit-mnist-super")
            back = port.from_safetensors(path)
            with torch.no_grad():
                self.assertTrue(torch.equal(twin(x), back(x)))
            read, meta = safetensors_io.read(path)
            self.assertEqual(list(read), list(weights))
            self.assertEqual(meta["attnzoo.preset"], "vit-mnist-super")
            for dtype, tol in (("F16", 1e-3), ("BF16", 8e-3)):
                safetensors_io.write(path, {"a": np.array([1.0, -2.5, 3.14159, 1e-3], np.float32)}, None, dtype)
                a = safetensors_io.read(path)[0]["a"]
                np.testing.assert_allclose(a, [1.0, -2.5, 3.14159, 1e-3], rtol=tol)

    def test_bad_files_are_refused_with_the_file_named(self):
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "bad.safetensors")
            header = json.dumps({"w": {"dtype": "F32", "shape": [4], "data_offsets": [0, 16]}}).encode()
            cases = {
                "short": b"\x01\x02",
                "header past the end": struct.pack("<Q", 1000) + b"{}",
                "not json": struct.pack("<Q", 3) + b"{x}",
                "data too short": struct.pack("<Q", len(header)) + header + b"\x00" * 8,
                "unknown dtype": (lambda h: struct.pack("<Q", len(h)) + h + b"\x00" * 16)(
                    header.replace(b"F32", b"I64")),
            }
            for what, data in cases.items():
                with open(path, "wb") as f:
                    f.write(data)
                with self.assertRaises(safetensors_io.SafetensorsError, msg=what) as e:
                    safetensors_io.read(path)
                self.assertIn(path, str(e.exception))

    def test_a_mismatch_names_every_problem_and_loads_nothing(self):
        folder = os.path.join(MODELS, "vit-mnist-super", "preset")
        config, weights = port.read_tfjs_preset(folder)
        twin = port.model_from_config(config)
        before = {k: v.clone() for k, v in twin.state_dict().items()}
        weights = dict(weights)
        weights["classifier_head/bias"] = np.zeros(3, np.float32)
        del weights["vit_final_norm/gamma"]
        with self.assertRaises(ValueError) as e:
            port.load_tfjs_weights(twin, weights, "test")
        self.assertIn("classifier_head/bias", str(e.exception))
        self.assertIn("norm.weight", str(e.exception))
        for k, v in twin.state_dict().items():
            self.assertTrue(torch.equal(v, before[k]))


if __name__ == "__main__":
    unittest.main()
