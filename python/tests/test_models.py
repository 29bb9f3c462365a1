"""The PyTorch twins of the attnzoo models: parameter counts, shapes, causality, training, and the
GEMM list the benchmark derives from them. Runs on CPU torch (>= 1.13) in a few seconds:

    python3 -m unittest discover python/tests
"""
import collections
import functools
import glob
import json
import os
import sys
import unittest

import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

import attnzoo_torch as az  # noqa: E402
from attnzoo_torch.text_classifier import TextClassifier, TextClassifierConfig  # noqa: E402
from attnzoo_torch.translator import Translator, TranslatorConfig  # noqa: E402
from attnzoo_torch.vit import ViTClassifier, ViTConfig  # noqa: E402

REPO = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")


# ---- parameter counts from the configs alone (docs/attention.md, "Cost per layer") ----------

def attention_params(variant, d, lmax):
    dense = d * d + d  # kernel + bias
    n = 2 * dense  # Wq, Wo
    n += dense if variant in ("sdpa", "optimised") else 0  # Wk
    n += dense if variant == "sdpa" else 0  # Wv
    n += lmax * lmax if variant == "super" else 0  # Wa, no mixing bias
    return n


def ffn_params(d, f):
    return d * f + f + f * d + d


def norm_params(d):
    return 2 * d


def expected_params(c):
    if isinstance(c, ViTConfig):
        L = c.sequence_length
        patch = c.patch_size * c.patch_size * c.channels * c.width + c.width
        cls = c.width if c.pooling == "class" else 0
        block = attention_params(c.variant, c.width, L) + ffn_params(c.width, c.feed_forward_width) + 2 * norm_params(c.width)
        return patch + cls + L * c.width + c.depth * block + norm_params(c.width) + c.width * c.num_classes + c.num_classes
    if isinstance(c, TextClassifierConfig):
        block = (attention_params(c.variant, c.width, c.max_length) + ffn_params(c.width, c.feed_forward_width)
                 + 2 * norm_params(c.width))
        final = norm_params(c.width) if c.norm_first else 0
        return ((c.vocabulary_size + c.max_length) * c.width + c.num_blocks * block + final
                + c.width * c.num_classes + c.num_classes)
    if isinstance(c, TranslatorConfig):
        d, ff = c.width, c.feed_forward_width
        embed = (c.vocabulary_size + max(c.source_max_length, c.target_max_length)) * d
        enc = attention_params(c.variant, d, c.source_max_length) + ffn_params(d, ff) + 2 * norm_params(d)
        dec = (attention_params(c.variant, d, c.target_max_length) + attention_params(c.variant, d, c.source_max_length)
               + ffn_params(d, ff) + 3 * norm_params(d))
        out = d * c.vocabulary_size + c.vocabulary_size  # untied output layer
        return embed + c.encoder_layers * enc + c.decoder_layers * dec + 2 * norm_params(d) + out
    raise TypeError(type(c))


def count(model):
    return sum(p.numel() for p in model.parameters())


@functools.lru_cache(maxsize=None)
def release(name):
    """Each release model built once for all the tests that only read it."""
    torch.manual_seed(0)
    return az.build(name)


# ---- tiny models of each family, for the tests that train or trace -------------------------

def tiny(family, variant):
    if family == "vit":
        return ViTClassifier(ViTConfig(variant, image_size=8, channels=3, patch_size=4, width=16, depth=2,
                                       num_heads=2, feed_forward_width=24, num_classes=3)), None
    if family == "text":
        return TextClassifier(TextClassifierConfig(variant, vocabulary_size=40, max_length=10, width=16, num_heads=2,
                                                   feed_forward_width=24, num_blocks=1, num_classes=2)), None
    return Translator(TranslatorConfig(variant, vocabulary_size=30, width=16, num_heads=2, feed_forward_width=24,
                                       encoder_layers=1, decoder_layers=2, source_max_length=9,
                                       target_max_length=8)), 7


def tiny_recipe(family):
    return az.TrainingRecipe(peak_lr=3e-3, weight_decay=0.01, label_smoothing=0.1 if family != "vit" else 0.0,
                             clip_norm=1.0, batch_size=4, ignore_index=0 if family == "translator" else None)


class ParameterCounts(unittest.TestCase):
    def test_every_release_matches_the_formulas(self):
        for name in az.release_names():
            with self.subTest(name):
                self.assertEqual(count(release(name)), expected_params(az.release_config(name)))

    def test_released_typescript_models_have_the_same_counts(self):
        # metadata.json of each published model holds tfjs's own countParams().
        found = 0
        for path in glob.glob(os.path.join(REPO, "models", "*", "preset", "metadata.json")):
            name = os.path.basename(os.path.dirname(os.path.dirname(path)))
            try:
                az.release_config(name)
            except ValueError:
                continue  # a family the benchmark does not cover (textcls-amazon has the imdb shape anyway)
            with open(path) as fh:
                total = json.load(fh)["parameters"]["total"]
            with self.subTest(name):
                self.assertEqual(count(release(name)), total)
                found += 1
        self.assertGreater(found, 0, "no released model metadata found under models/")

    def test_attention_layer_costs(self):
        # docs/attention.md's worked example: d = 32, h = 4, Lmax = 32, dense biases.
        got = [count(az.MultiHeadAttention(v, 32, 4, max_length=32)) for v in az.VARIANTS]
        self.assertEqual(got, [4224, 3168, 2112, 3136])
        self.assertEqual(count(az.MultiHeadAttention("super", 32, 4, max_length=32, mixing_bias=True)), 3168)


class Shapes(unittest.TestCase):
    def test_release_outputs(self):
        for name in az.release_names():
            model = release(name).eval()
            c = model.config
            length = 12 if isinstance(model, Translator) else None
            inputs, labels = model.example_batch(2, length, generator=torch.Generator().manual_seed(0))
            with torch.no_grad():
                out = model(*inputs)
            with self.subTest(name):
                if isinstance(model, Translator):
                    self.assertEqual(tuple(out.shape), (2, 12, c.vocabulary_size))
                    self.assertEqual(tuple(labels.shape), (2, 12))
                else:
                    self.assertEqual(tuple(out.shape), (2, c.num_classes))
                    self.assertEqual(tuple(labels.shape), (2,))
                self.assertTrue(torch.isfinite(out).all())

    def test_super_refuses_sequences_longer_than_wa(self):
        attention = az.MultiHeadAttention("super", 8, 2, max_length=4)
        with self.assertRaises(ValueError):
            attention(torch.zeros(1, 5, 8))


class Identities(unittest.TestCase):
    """docs/attention.md, "Exact identities every implementation must pass" (biases off)."""

    def setUp(self):
        torch.manual_seed(1)
        az.set_attention_impl("naive")
        self.x = torch.randn(2, 5, 8)

    def tearDown(self):
        az.set_attention_impl("auto")

    def layer(self, variant, **kw):
        return az.MultiHeadAttention(variant, 8, 2, use_bias=False, max_length=5, **kw)

    def test_folded_projections(self):
        sdpa = self.layer("sdpa")
        with torch.no_grad():
            sdpa.value.weight.copy_(torch.eye(8))
            opt = self.layer("optimised")
            for k in ("query", "key", "output"):
                getattr(opt, k).weight.copy_(getattr(sdpa, k).weight)
            torch.testing.assert_close(opt(self.x), sdpa(self.x))
            sdpa.key.weight.copy_(torch.eye(8))
            eff = self.layer("efficient")
            for k in ("query", "output"):
                getattr(eff, k).weight.copy_(getattr(sdpa, k).weight)
            torch.testing.assert_close(eff(self.x), sdpa(self.x))
            sup = self.layer("super")  # Wa starts at the identity
            for k in ("query", "output"):
                getattr(sup, k).weight.copy_(getattr(sdpa, k).weight)
            torch.testing.assert_close(sup(self.x), eff(self.x))


class Causality(unittest.TestCase):
    def setUp(self):
        torch.manual_seed(2)
        self.model, _ = tiny("translator", "super")
        self.model.eval()
        with torch.no_grad():  # a full, non-identity Wa everywhere, so any leak would show
            for block in self.model.decoder:
                block.self_attention.mixing.normal_()
                block.cross_attention.mixing.normal_()

    def test_decoder_mixing_is_lower_triangular(self):
        for block in self.model.decoder:
            wa = block.self_attention.mixing_matrix(6)
            self.assertTrue(block.self_attention.causal)
            self.assertTrue(torch.equal(wa, torch.tril(wa)))
            self.assertFalse(torch.equal(block.self_attention.mixing[:6, :6], wa))  # the stored Wa is full
            # Cross-attention mixes source positions, all of which every target may see.
            cross = block.cross_attention.mixing_matrix(6)
            self.assertFalse(torch.equal(cross, torch.tril(cross)))

    def test_a_later_target_token_changes_no_earlier_output(self):
        (source, target), _ = self.model.example_batch(2, 7, generator=torch.Generator().manual_seed(3))
        target[:, :] = torch.randint(3, 30, target.shape)  # no padding: every position is real
        changed = target.clone()
        t = 3
        changed[:, t + 1] = (changed[:, t + 1] + 5) % 27 + 3
        with torch.no_grad():
            a, b = self.model(source, target), self.model(source, changed)
        torch.testing.assert_close(a[:, : t + 1], b[:, : t + 1], rtol=0, atol=1e-6)
        self.assertGreater((a[:, t + 1:] - b[:, t + 1:]).abs().max().item(), 1e-4)

    def test_no_gradient_reaches_wa_above_the_diagonal(self):
        (source, target), labels = self.model.example_batch(2, 7, generator=torch.Generator().manual_seed(4))
        self.model.train()
        az.sparse_cross_entropy(self.model(source, target), labels, 0.1, 0).backward()
        grad = self.model.decoder[0].self_attention.mixing.grad[:7, :7]
        self.assertTrue(torch.equal(grad, torch.tril(grad)))
        self.assertGreater(grad.abs().sum().item(), 0)


class Training(unittest.TestCase):
    def test_steps_reduce_the_loss_on_a_fixed_batch(self):
        for family in ("vit", "text", "translator"):
            for variant in az.VARIANTS:
                with self.subTest(family=family, variant=variant):
                    torch.manual_seed(5)
                    model, length = tiny(family, variant)
                    recipe = tiny_recipe(family)
                    step = az.make_step(model.train(), recipe, az.adamw(model, recipe), read_loss=True)
                    inputs, labels = model.example_batch(6, length, generator=torch.Generator().manual_seed(6))
                    losses = [step(inputs, labels).item() for _ in range(12)]
                    self.assertLess(losses[-1], 0.8 * losses[0], losses)

    def test_weight_decay_skips_biases_and_norms(self):
        model, _ = tiny("vit", "super")
        opt = az.adamw(model, tiny_recipe("vit"))
        decayed = {id(p) for g in opt.param_groups if g["weight_decay"] > 0 for p in g["params"]}
        for name, p in model.named_parameters():
            self.assertEqual(id(p) in decayed, p.dim() >= 2, name)

    def test_label_smoothing_and_padding_follow_the_typescript_loss(self):
        torch.manual_seed(7)
        logits, labels = torch.randn(2, 5, 11), torch.randint(1, 11, (2, 5))
        labels[1, 3:] = 0
        eps, keep = 0.1, labels != 0
        target = torch.nn.functional.one_hot(labels, 11).float() * (1 - eps) + eps / 11
        per = -(target * torch.log_softmax(logits, -1)).sum(-1)
        want = (per * keep).sum() / keep.sum()
        torch.testing.assert_close(az.sparse_cross_entropy(logits, labels, eps, 0), want)


class GemmList(unittest.TestCase):
    """The products the benchmark writes down (model.products + gradients) are the ones autograd runs."""

    @staticmethod
    def canonical(batch, M, K, N):
        # Orientation differs between frameworks (nn.Linear keeps Wᵀ); contraction and output sizes do not.
        return (batch, K, tuple(sorted((M, N))))

    def traced(self, model, inputs, labels, recipe):
        from torch.utils._python_dispatch import TorchDispatchMode
        aten = torch.ops.aten
        seen = collections.Counter()
        canonical = self.canonical

        class Record(TorchDispatchMode):
            def __torch_dispatch__(self, func, types, args=(), kwargs=None):
                if func in (aten.addmm.default, aten.baddbmm.default):
                    a, b = args[1], args[2]
                elif func in (aten.mm.default, aten.bmm.default):
                    a, b = args[0], args[1]
                else:
                    return func(*args, **(kwargs or {}))
                batch = a.shape[0] if a.dim() == 3 else 1
                seen[canonical(batch, a.shape[-2], a.shape[-1], b.shape[-1])] += 1
                return func(*args, **(kwargs or {}))

        with Record():
            loss = az.sparse_cross_entropy(model(*inputs), labels, recipe.label_smoothing, recipe.ignore_index)
            loss.backward()
        return seen

    def test_products_match_autograd(self):
        az.set_attention_impl("naive")  # matmul-softmax-matmul, so the attention products are visible
        try:
            for family in ("vit", "text", "translator"):
                for variant in az.VARIANTS:
                    with self.subTest(family=family, variant=variant):
                        model, length = tiny(family, variant)
                        inputs, labels = model.example_batch(3, length, generator=torch.Generator().manual_seed(8))
                        seen = self.traced(model.train(), inputs, labels, tiny_recipe(family))
                        listed = collections.Counter(
                            self.canonical(p.batch, p.M, p.K, p.N)
                            for p in az.training_products(model.products(3, length)))
                        self.assertEqual(seen, listed)
        finally:
            az.set_attention_impl("auto")

    def test_gradient_products_follow_tfjs(self):
        # X[M, K] W[K, N]: dX = dY Wᵀ (transB), dW = Xᵀ dY (transA); no dX for data.
        fwd = az.gemms.dense("d", 6, 4, 5)
        got = [(p.M, p.K, p.N, p.transA, p.transB) for p in az.training_products([fwd])]
        self.assertEqual(got, [(6, 4, 5, False, False), (6, 5, 4, False, True), (4, 6, 5, True, False)])
        data = az.gemms.dense("d", 6, 4, 5, input_grad=False)
        self.assertEqual(len(az.training_products([data])), 2)
        # q kᵀ (transB): dq = dS k, dk = dSᵀ q.
        scores = az.Product("s", 8, 7, 3, 9, transB=True)
        got = [(p.batch, p.M, p.K, p.N, p.transA, p.transB) for p in az.training_products([scores])[1:]]
        self.assertEqual(got, [(8, 7, 9, 3, False, False), (8, 9, 7, 3, True, False)])

    def test_release_shapes_at_batch_512(self):
        model = release("translator-en-es-sdpa")
        keys = {p.key() for p in az.training_products(model.products(512, 32))}
        rows, d, vocab = 512 * 32, 256, 8000
        self.assertIn((1, rows, d, vocab, False, False), keys)  # logits forward
        self.assertIn((1, rows, vocab, d, False, True), keys)  # d(decoder output)
        self.assertIn((1, d, rows, vocab, True, False), keys)  # d(logits kernel)
        self.assertIn((512 * 8, 32, 32, 32, False, True), keys)  # q kᵀ per head, dk = 32
        sup = release("vit-cifar10-super")
        keys = {p.key() for p in az.training_products(sup.products(512))}
        self.assertIn((1, 65, 65, 512 * 192, False, False), keys)  # Wa · V for the whole batch
        self.assertIn((1, 65, 512 * 192, 65, False, True), keys)  # dWa
        self.assertIn((1, 65, 65, 512 * 192, True, False), keys)  # dV = Waᵀ dU
        patches = 512 * 64  # 4x4x3 = 48 values per patch
        self.assertIn((1, 48, patches, 192, True, False), keys)  # d(patch kernel) = Xᵀ dY
        self.assertNotIn((1, patches, 192, 48, False, True), keys)  # no gradient for the pixels


if __name__ == "__main__":
    unittest.main()
