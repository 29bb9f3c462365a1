#!/usr/bin/env python3
"""PyTorch float32 attention at the fused-attention benchmark's shapes, and the merged table.

  attention-vs-pytorch.py [--out pytorch.json] [--lengths 256,1024,4096] [--causal]
      times torch SDPA (default dispatch, and forced EFFICIENT / MATH backends) and a naive
      matmul-softmax-matmul, forward (no_grad) and forward+backward, medians of CUDA-event
      samples after warm-up, TF32 off; peak torch.cuda.max_memory_allocated per case.
  attention-vs-pytorch.py merge --webgpu fused-webgpu.json --pytorch pytorch.json --out table.md
      one markdown table of both runs (tfjs numbers come from `attnzoo bench fused`).

FLOPs: forward 4·B·h·L²·dk (halved when causal); forward+backward counted as 3.5 × forward
(FlashAttention's convention), the same as packages/attention/src/bench/fused-benchmark.ts.
"""
import argparse
import json
import math
import statistics
import sys


def bench(args):
    import torch
    import torch.nn.functional as F

    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False
    torch.set_float32_matmul_precision("highest")
    try:
        from torch.nn.attention import SDPBackend, sdpa_kernel
    except ImportError:  # torch < 2.3
        SDPBackend = sdpa_kernel = None

    dev = torch.device("cuda")
    B, H, D = args.batch, args.heads, args.head_dim
    lengths = [int(x) for x in args.lengths.split(",")]
    causals = [False, True] if args.causal else [False]

    def naive(q, k, v, causal):
        s = torch.matmul(q, k.transpose(-2, -1)) * (1.0 / math.sqrt(q.shape[-1]))
        if causal:
            L, S = s.shape[-2], s.shape[-1]
            hide = torch.ones(L, S, dtype=torch.bool, device=s.device).triu(S - L + 1)
            s = s.masked_fill(hide, float("-inf"))
        return torch.matmul(torch.softmax(s, dim=-1), v)

    def sdpa(backend):
        def f(q, k, v, causal):
            if backend is None or sdpa_kernel is None:
                return F.scaled_dot_product_attention(q, k, v, is_causal=causal)
            with sdpa_kernel([backend]):
                return F.scaled_dot_product_attention(q, k, v, is_causal=causal)
        return f

    impls = [("torch sdpa", sdpa(None))]
    if SDPBackend is not None:
        impls += [("torch sdpa efficient", sdpa(SDPBackend.EFFICIENT_ATTENTION)),
                  ("torch sdpa math", sdpa(SDPBackend.MATH))]
    impls.append(("torch naive", naive))

    def time_ms(fn):
        for _ in range(args.warmup):
            fn()
        torch.cuda.synchronize()
        start = torch.cuda.Event(enable_timing=True)
        end = torch.cuda.Event(enable_timing=True)
        start.record(); fn(); end.record(); torch.cuda.synchronize()
        one = max(start.elapsed_time(end), 1e-3)
        iters = max(1, min(200, math.ceil(args.min_sample_ms / one)))
        samples = []
        for _ in range(args.repeats):
            start.record()
            for _ in range(iters):
                fn()
            end.record()
            torch.cuda.synchronize()
            samples.append(start.elapsed_time(end) / iters)
        return statistics.median(samples)

    rows = []
    for L in lengths:
        for causal in causals:
            g = torch.Generator(device=dev).manual_seed(1)
            q, k, v, dy = (torch.randn(B, H, L, D, device=dev, dtype=torch.float32, generator=g) for _ in range(4))
            flops = 4 * B * H * L * L * D / (2 if causal else 1)
            for name, f in impls:
                row = {"impl": name, "batch": B, "heads": H, "length": L, "headDim": D, "causal": causal,
                       "forwardFlops": flops, "forwardMs": None, "forwardBackwardMs": None,
                       "forwardTflops": None, "forwardBackwardTflops": None, "peakBytes": None}
                try:
                    with torch.no_grad():
                        row["forwardMs"] = time_ms(lambda: f(q, k, v, causal))
                    row["forwardTflops"] = flops / (row["forwardMs"] * 1e-3) / 1e12
                    qg, kg, vg = (t.detach().requires_grad_(True) for t in (q, k, v))

                    def both():
                        out = f(qg, kg, vg, causal)
                        torch.autograd.grad(out, (qg, kg, vg), dy)
                    torch.cuda.synchronize()
                    torch.cuda.reset_peak_memory_stats()
                    both()
                    torch.cuda.synchronize()
                    row["peakBytes"] = torch.cuda.max_memory_allocated()
                    row["forwardBackwardMs"] = time_ms(both)
                    row["forwardBackwardTflops"] = 3.5 * flops / (row["forwardBackwardMs"] * 1e-3) / 1e12
                except Exception as e:  # OOM or a backend that refuses the shape
                    row["error"] = f"{type(e).__name__}: {str(e).splitlines()[0][:200]}"
                torch.cuda.empty_cache()
                rows.append(row)
                print(json.dumps(row), file=sys.stderr, flush=True)
            del q, k, v, dy
            torch.cuda.empty_cache()
    report = {"device": torch.cuda.get_device_name(0), "torch": torch.__version__, "cuda": torch.version.cuda,
              "tf32": False, "rows": rows}
    with open(args.out, "w") as fh:
        json.dump(report, fh, indent=1)
    print(json.dumps(report))


def merge(args):
    def load(path):
        try:
            with open(path) as fh:
                return json.load(fh)
        except (OSError, ValueError) as e:
            return {"rows": [], "error": f"{path}: {e}"}

    tfjs = load(args.webgpu)
    torch = load(args.pytorch)
    rows = [dict(r, impl=f"tfjs {r['path']}") for r in tfjs.get("rows", [])] + torch.get("rows", [])
    fmt = lambda x, d=2: "—" if x is None else f"{x:.{d}f}"
    out = [f"# Fused attention vs PyTorch float32 on {torch.get('device', '?')}", "",
           f"tfjs: {tfjs.get('backend', '?')}, tiles {json.dumps((tfjs.get('adapter') or {}).get('tilesUsed'))}, "
           f"subgroups {(tfjs.get('adapter') or {}).get('subgroups')}; torch {torch.get('torch', '?')} (CUDA {torch.get('cuda', '?')}), TF32 off.",
           "Forward+backward TFLOP/s count 3.5 × the forward FLOPs; peak = tf.profile live tensor bytes (tfjs) / "
           "torch.cuda.max_memory_allocated (torch) during one forward+backward, inputs included.", ""]
    for key in ("error",):
        if key in tfjs:
            out.append(f"tfjs run: {tfjs[key]}")
        if key in torch:
            out.append(f"torch run: {torch[key]}")
    out += ["| impl | L | causal | fwd ms | fwd TFLOP/s | % of torch sdpa fwd | fwd+bwd ms | fwd+bwd TFLOP/s | peak MiB | note |",
            "|---|---|---|---|---|---|---|---|---|---|"]
    keys = sorted({(r["length"], r["causal"]) for r in rows})
    for L, causal in keys:
        ref = next((r for r in rows if r["impl"] == "torch sdpa" and r["length"] == L and r["causal"] == causal), None)
        for r in (r for r in rows if r["length"] == L and r["causal"] == causal):
            pct = "—"
            if ref and ref.get("forwardTflops") and r.get("forwardTflops"):
                pct = f"{100 * r['forwardTflops'] / ref['forwardTflops']:.0f} %"
            peak = "—" if r.get("peakBytes") is None else f"{r['peakBytes'] / 2**20:.0f}"
            out.append(f"| {r['impl']} | {L} | {'yes' if causal else 'no'} | {fmt(r.get('forwardMs'))} | "
                       f"{fmt(r.get('forwardTflops'))} | {pct} | {fmt(r.get('forwardBackwardMs'))} | "
                       f"{fmt(r.get('forwardBackwardTflops'))} | {peak} | {r.get('error', '')} |")
    checks = tfjs.get("checks", [])
    if checks:
        bad = [c for c in checks if not c.get("ok")]
        diffs = [c.get(k) for c in checks for k in ("forwardVsReference", "forwardVsUnfused", "gradientsVsUnfused")]
        worst = max((d for d in diffs if isinstance(d, (int, float))), default=float("nan"))
        out += ["", f"On-device correctness (fused vs unfused vs float64, {len(checks)} cases): "
                f"{'all ok' if not bad else f'{len(bad)} FAILED: ' + ', '.join(c['case'] + (' subgroups' if c['subgroups'] else '') for c in bad)}; "
                f"worst max abs diff {worst:.2e}."]
    if tfjs.get("subgroupsDropped"):
        out.append(f"Subgroup kernel left out of the timings: {tfjs['subgroupsDropped']}.")
    text = "\n".join(out) + "\n"
    with open(args.out, "w") as fh:
        fh.write(text)
    print(text)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="cmd")
    m = sub.add_parser("merge")
    m.add_argument("--webgpu", required=True)
    m.add_argument("--pytorch", required=True)
    m.add_argument("--out", required=True)
    p.add_argument("--out", default="pytorch.json")
    p.add_argument("--batch", type=int, default=32)
    p.add_argument("--heads", type=int, default=8)
    p.add_argument("--head-dim", type=int, default=64)
    p.add_argument("--lengths", default="256,1024,4096")
    p.add_argument("--causal", action="store_true", help="also time causal attention")
    p.add_argument("--warmup", type=int, default=3)
    p.add_argument("--repeats", type=int, default=7)
    p.add_argument("--min-sample-ms", type=float, default=50.0)
    args = p.parse_args()
    merge(args) if args.cmd == "merge" else bench(args)


if __name__ == "__main__":
    main()
