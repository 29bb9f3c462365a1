#!/usr/bin/env python3
"""PyTorch side of the training-step comparison: the attnzoo models (python/attnzoo_torch, the same
architectures as the TypeScript packages) timed on one GPU, and fp32 matmul at GEMM shapes.

  vs-pytorch.py --out DIR [--device cuda] [--batch 512] [--warmup 5] [--steps 20]
                [--models vit-mnist,vit-cifar10,textcls-imdb,translator-en-es] [--variants sdpa,...]
                [--translator-lengths 12,32] [--text-length 256]
                [--gemm-shapes shapes.json | --no-gemm] [--emit-shapes shapes.json [--emit-only]]
      -> DIR/pytorch.json {torch, device, cuda, date, command, ..., steps: [...], gemm: [...]}

Steps: one full update per model x variant (forward, sparse cross-entropy with the release's label
smoothing and, for the translator, padding left out; backward; global-norm clipping; AdamW with
decay on rank >= 2 tensors), float32 with TF32 off, eager. After --warmup steps, each of --steps
steps is timed between two CUDA events and the median is reported, with
torch.cuda.max_memory_allocated over the run. By default the loss is copied to the host every
step, as the TypeScript trainer does (--no-read-loss to skip).

GEMMs: C[b] = op(A[b]) @ op(B[b]) through torch.matmul on .transpose(-1, -2) views, as autograd's
backward does (A stored [b, K, M] under transA, B stored [b, N, K] under transB; b = 1 is a plain 2-D
matmul). Shapes come from --gemm-shapes (a list, or an object with "shapes", of
{name, batch, M, K, N, transA, transB}); without it, from the models themselves: every product of
one training step at --batch (what --emit-shapes writes, for the TypeScript side to time too).
Median ms per product over samples of back-to-back calls, TFLOP/s = 2·batch·M·K·N / time.
"""
from __future__ import annotations

import argparse
import datetime
import json
import math
import os
import statistics
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "python"))

import torch  # noqa: E402

import attnzoo_torch as az  # noqa: E402


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--out", default=".", help="folder for pytorch.json")
    p.add_argument("--device", default="cuda", help="cuda (default) or cpu (a smoke test)")
    p.add_argument("--batch", type=int, default=512)
    p.add_argument("--warmup", type=int, help="untimed steps per model first (default 5; 1 on cpu)")
    p.add_argument("--steps", type=int, default=20, help="timed steps per model (median reported)")
    p.add_argument("--models", default=",".join(az.FAMILIES), help="comma-separated model families")
    p.add_argument("--variants", default=",".join(az.VARIANTS))
    p.add_argument("--translator-lengths", default=",".join(map(str, az.step_lengths("translator-en-es-sdpa"))),
                   help="source = target length of the translator steps (default: length buckets 12 and 32)")
    p.add_argument("--text-length", type=int, default=az.step_lengths("textcls-imdb-sdpa")[0],
                   help="text classifier length (default: the release's fixed length)")
    p.add_argument("--attention", default="auto", choices=["auto", "sdpa", "naive"],
                   help="heads through torch's fused scaled_dot_product_attention (auto: when torch has it) or "
                        "matmul-softmax-matmul")
    p.add_argument("--no-read-loss", action="store_true", help="do not copy the loss to the host each step")
    p.add_argument("--gemm-shapes", help="JSON list of GEMM shapes to time (default: the models' own)")
    p.add_argument("--no-gemm", action="store_true", help="skip the GEMM timings")
    p.add_argument("--gemm-samples", type=int, help="timed samples per GEMM shape (default 20; 2 on cpu)")
    p.add_argument("--gemm-min-sample-ms", type=float, default=1.0,
                   help="back-to-back calls per sample, enough to fill this long")
    p.add_argument("--emit-shapes", help="write the GEMM shapes of one training step of each model here")
    p.add_argument("--emit-only", action="store_true", help="with --emit-shapes: write them and stop")
    p.add_argument("--seed", type=int, default=0)
    args = p.parse_args(argv)
    # A CPU run is a smoke test of the whole path, not a measurement: keep it short.
    cpu = args.device.startswith("cpu")
    if args.warmup is None:
        args.warmup = 1 if cpu else 5
    if args.gemm_samples is None:
        args.gemm_samples = 2 if cpu else 20
    return args


def csv(s):
    return [x.strip() for x in s.split(",") if x.strip()]


def cases(args):
    """(release name, family, variant, length) for every step to time; length None = fixed by the model."""
    out = []
    for family in csv(args.models):
        if family not in az.FAMILIES:
            raise SystemExit(f"unknown model {family!r}: use {', '.join(az.FAMILIES)}")
        if family == "translator-en-es":
            lengths = [int(x) for x in csv(args.translator_lengths)]
        elif family == "textcls-imdb":
            lengths = [args.text_length]
        else:
            lengths = list(az.step_lengths(f"{family}-sdpa"))
        for variant in csv(args.variants):
            if variant not in az.VARIANTS:
                raise SystemExit(f"unknown variant {variant!r}: use {', '.join(az.VARIANTS)}")
            for length in lengths:
                out.append((f"{family}-{variant}", family, variant, length))
    return out


def count_params(model):
    return sum(p.numel() for p in model.parameters())


# ---------------------------------------------------------------------------------------------
# GEMM shapes of a training step


def derive_shapes(args):
    """Per model: its training products; over all: the distinct shapes with where they occur."""
    per_model, uses, models = [], {}, {}
    for name, family, variant, length in cases(args):
        if name not in models:  # the translator is listed once per length
            models[name] = az.build(name)
        model = models[name]
        products = az.training_products(model.products(args.batch, length))
        where = name if length is None else f"{name} L{length}"
        uses[where] = products
        per_model.append({
            "model": family, "variant": variant, "batch": args.batch, **({} if length is None else {"length": length}),
            "gemmFlops": sum(p.flops for p in products),
            "products": [{"role": p.role, "pass": p.passName, "batch": p.batch, "M": p.M, "K": p.K, "N": p.N,
                          "transA": p.transA, "transB": p.transB, "attentionCore": p.attentionCore}
                         for p in products],
        })
    return per_model, az.distinct_shapes(uses)


def load_shapes(path):
    with open(path) as fh:
        data = json.load(fh)
    rows = data["shapes"] if isinstance(data, dict) else data
    for r in rows:
        for k in ("batch", "M", "K", "N"):
            if not isinstance(r.get(k), int) or r[k] < 1:
                raise SystemExit(f"{path}: GEMM entry {r.get('name')!r} needs a positive integer {k}")
        r.setdefault("transA", False)
        r.setdefault("transB", False)
        r.setdefault("name", az.gemms.shape_name(r["batch"], r["M"], r["K"], r["N"], r["transA"], r["transB"]))
    return rows


# ---------------------------------------------------------------------------------------------
# Timing


class Timer:
    """Per-call times in ms: CUDA events on a GPU (GPU timeline, host gaps included), wall clock on CPU."""

    def __init__(self, device):
        self.cuda = device.type == "cuda"

    def sync(self):
        if self.cuda:
            torch.cuda.synchronize()

    def samples(self, fn, count, calls=1):
        if self.cuda:
            marks = [(torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)) for _ in range(count)]
            for start, end in marks:
                start.record()
                for _ in range(calls):
                    fn()
                end.record()
            torch.cuda.synchronize()
            return [start.elapsed_time(end) / calls for start, end in marks]
        out = []
        for _ in range(count):
            t0 = time.perf_counter()
            for _ in range(calls):
                fn()
            out.append((time.perf_counter() - t0) * 1e3 / calls)
        return out


def time_steps(args, device, timer):
    rows = []
    for name, family, variant, length in cases(args):
        row = {"model": family, "variant": variant, "batch": args.batch}
        if length is not None:
            row["length"] = length
        try:
            torch.manual_seed(args.seed)
            model = az.build(name).to(device).train()
            row["params"] = count_params(model)
            recipe = az.recipe(name)
            step = az.make_step(model, recipe, az.adamw(model, recipe), read_loss=not args.no_read_loss)
            gen = torch.Generator().manual_seed(args.seed)
            inputs, labels = model.example_batch(args.batch, length, device=device, generator=gen)
            row["gemmFlops"] = sum(p.flops for p in az.training_products(model.products(args.batch, length)))
            if timer.cuda:
                timer.sync()
                torch.cuda.reset_peak_memory_stats(device)
            losses = [step(inputs, labels) for _ in range(max(1, args.warmup))]
            ms = timer.samples(lambda: losses.append(step(inputs, labels)), args.steps)
            timer.sync()
            row["ms"] = statistics.median(ms)
            row["msMin"], row["msMax"] = min(ms), max(ms)
            if timer.cuda:
                row["peakMiB"] = torch.cuda.max_memory_allocated(device) / 2**20
            row["lossFirst"], row["lossLast"] = float(losses[0]), float(losses[-1])
        except Exception as e:  # out of memory, or a shape this torch refuses: a row, not a crash
            row["error"] = f"{type(e).__name__}: {str(e).splitlines()[0][:200] if str(e) else ''}"
        finally:
            model = step = inputs = labels = losses = None
            if timer.cuda:
                torch.cuda.empty_cache()
        rows.append(row)
        print(json.dumps(row), file=sys.stderr, flush=True)
    return rows


def time_gemms(shapes, args, device, timer):
    rows = []
    gen = torch.Generator(device=device).manual_seed(args.seed) if device.type == "cuda" else None
    for s in shapes:
        b, M, K, N, ta, tb = s["batch"], s["M"], s["K"], s["N"], bool(s["transA"]), bool(s["transB"])
        row = {"name": s["name"], "batch": b, "M": M, "K": K, "N": N, "transA": ta, "transB": tb}
        if "attentionCore" in s:
            row["attentionCore"] = s["attentionCore"]
        try:
            lead = [] if b == 1 else [b]
            a = torch.randn(*lead, *((K, M) if ta else (M, K)), device=device, generator=gen)
            w = torch.randn(*lead, *((N, K) if tb else (K, N)), device=device, generator=gen)
            A = a.transpose(-1, -2) if ta else a
            B = w.transpose(-1, -2) if tb else w

            def fn():
                return torch.matmul(A, B)

            for _ in range(3):
                fn()
            one = min(timer.samples(fn, 3))
            calls = max(1, min(1000, math.ceil(args.gemm_min_sample_ms / max(one, 1e-3))))
            row["ms"] = statistics.median(timer.samples(fn, args.gemm_samples, calls))
            row["tflops"] = 2 * b * M * K * N / (row["ms"] * 1e-3) / 1e12
        except Exception as e:
            row["error"] = f"{type(e).__name__}: {str(e).splitlines()[0][:200] if str(e) else ''}"
        finally:
            a = w = A = B = None
            if timer.cuda:
                torch.cuda.empty_cache()
        rows.append(row)
    return rows


def main(argv=None):
    args = parse_args(argv)
    command = "python3 scripts/device/vs-pytorch.py " + " ".join(sys.argv[1:] if argv is None else argv)
    per_model = shapes = None
    if args.emit_shapes or not (args.gemm_shapes or args.no_gemm):
        per_model, shapes = derive_shapes(args)
    if args.emit_shapes:
        with open(args.emit_shapes, "w") as fh:
            json.dump({"batch": args.batch, "command": command,
                       "convention": "C[b] = op(A[b]) @ op(B[b]); A stored [b, K, M] under transA, B stored "
                                     "[b, N, K] under transB; b = 1 is a 2-D product",
                       "shapes": shapes, "models": per_model}, fh, indent=1)
        print(f"{len(shapes)} distinct GEMM shapes from {len(per_model)} model steps -> {args.emit_shapes}",
              file=sys.stderr)
        if args.emit_only:
            return

    device = torch.device(args.device)
    if device.type == "cuda" and not torch.cuda.is_available():
        raise SystemExit("CUDA is not available: run with --device cpu for a smoke test")
    # Full float32 on both sides: no TF32 tensor-core rounding in PyTorch's matmuls.
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False
    if hasattr(torch, "set_float32_matmul_precision"):
        torch.set_float32_matmul_precision("highest")
    az.set_attention_impl(args.attention)
    timer = Timer(device)

    report = {
        "torch": torch.__version__,
        "device": torch.cuda.get_device_name(device) if device.type == "cuda" else f"cpu ({torch.get_num_threads()} threads)",
        "cuda": torch.version.cuda,
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "command": command,
        "precision": "float32, TF32 off",
        "attention": az.attention_impl(),
        "readLoss": not args.no_read_loss,
        "warmup": args.warmup,
        "timedSteps": args.steps,
    }
    os.makedirs(args.out, exist_ok=True)
    path = os.path.join(args.out, "pytorch.json")

    def save():
        with open(path, "w") as fh:
            json.dump(report, fh, indent=1)

    report["steps"] = time_steps(args, device, timer)
    report["gemm"] = []
    save()  # the steps survive a GEMM sweep cut short
    if not args.no_gemm:
        report["gemm"] = time_gemms(load_shapes(args.gemm_shapes) if args.gemm_shapes else shapes, args, device, timer)
        report["gemmShapes"] = args.gemm_shapes or "derived from the models"
        save()
    for r in report["steps"]:
        length = f" L{r['length']}" if "length" in r else ""
        peak = f" {r['peakMiB']:.0f} MiB" if "peakMiB" in r else ""
        print(f"{r['model']}-{r['variant']}{length}: " + (f"{r['ms']:.2f} ms{peak}, {r['params']} params, loss "
              f"{r['lossFirst']:.3f} -> {r['lossLast']:.3f}" if "ms" in r else r["error"]))
    ok = [g for g in report["gemm"] if "ms" in g]
    if report["gemm"]:
        print(f"GEMM: {len(ok)}/{len(report['gemm'])} shapes timed")
    print(f"-> {path}")


if __name__ == "__main__":
    main()
