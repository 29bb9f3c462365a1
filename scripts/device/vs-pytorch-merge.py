#!/usr/bin/env python3
"""Merges the two sides of the training-step comparison into one table.

  vs-pytorch-merge.py --pytorch pytorch.json --tfjs tfjs.json --out DIR
      -> DIR/vs-pytorch.md (header, training steps, GEMM shapes) and DIR/vs-pytorch.json (merged)

Both inputs share one schema: top-level facts about the run (device, date, command, versions), then
  steps: [{model, variant, batch, length?, ms, peakMiB?, params?, kernels?, dispatches?, gpuBusy?}]
  gemm:  [{name, batch, M, K, N, transA, transB, ms, tflops}]
Steps match on (model, variant, batch, length); GEMMs on (batch, M, K, N, transA, transB). A row that
only one side has is kept, with "—" for the other. Ratios: step time tfjs / PyTorch (above 1: tfjs is
slower); GEMM speed as a fraction of PyTorch's (tfjs TFLOP/s / PyTorch TFLOP/s).
"""
from __future__ import annotations

import argparse
import json
import os
import sys

DASH = "—"
ROW_KEYS = ("steps", "gemm")


def load(path):
    try:
        with open(path) as fh:
            data = json.load(fh)
    except (OSError, ValueError) as e:
        return {"error": f"{path}: {e}", "steps": [], "gemm": []}
    data.setdefault("steps", [])
    data.setdefault("gemm", [])
    return data


def step_key(r):
    model, variant = r.get("model"), r.get("variant")
    # Accept a release name ("vit-mnist-super") in `model` as well as the family.
    if isinstance(model, str) and variant and model.endswith(f"-{variant}"):
        model = model[: -len(variant) - 1]
    return (model, variant, r.get("batch"), r.get("length"))


def gemm_key(r):
    return (r.get("batch"), r.get("M"), r.get("K"), r.get("N"), bool(r.get("transA")), bool(r.get("transB")))


def pair(left, right, key):
    """Rows of both sides matched by key, in the order of the left side, then right-only rows."""
    index = {}
    for r in right:
        index.setdefault(key(r), r)
    used, out = set(), []
    for r in left:
        k = key(r)
        out.append((k, r, index.get(k)))
        used.add(k)
    for r in right:
        k = key(r)
        if k not in used:
            out.append((k, None, r))
            used.add(k)
    return out


def num(row, k):
    v = None if row is None else row.get(k)
    return v if isinstance(v, (int, float)) and not isinstance(v, bool) else None


def fmt(v, digits=2):
    if v is None:
        return DASH
    if isinstance(v, int):
        return f"{v:,}"
    return f"{v:,.{digits}f}"


def ratio(a, b):
    return a / b if a is not None and b not in (None, 0) else None


def facts(run):
    """Top-level scalar fields of a run (device, date, versions, ...), without the row lists; the
    TypeScript side keeps them under `environment` (its adapter is the device)."""
    flat = dict(run)
    env = run.get("environment")
    if isinstance(env, dict):
        flat.update({k: v for k, v in env.items() if k not in flat})
        if env.get("adapter") and "device" not in run:
            flat["device"] = env["adapter"]
    return {k: v for k, v in flat.items() if k not in ROW_KEYS and v is not None and not isinstance(v, (list, dict))}


def by_engine(rows, engine):
    """The TypeScript rows of one engine setting (`on`: attnzoo's kernels and step replay, `eager`:
    attnzoo's kernels op by op, `off`: tfjs's stock kernels op by op);
    rows without the field count as `on`. Sweep rows (forced tiles) are tuning data, not the result."""
    return [r for r in rows if r.get("engine", "on") == engine and not r.get("sweep")]


def merge(tfjs, torch):
    steps = []
    stock_steps = {step_key(r): r for r in by_engine(tfjs["steps"], "off")}
    eager_steps = {step_key(r): r for r in by_engine(tfjs["steps"], "eager")}
    # PyTorch's rows set the order (it runs every model); rows only tfjs has follow.
    for k, pt, tj in pair(torch["steps"], by_engine(tfjs["steps"], "on"), step_key):
        model, variant, batch, length = k
        stock, eager = stock_steps.get(k), eager_steps.get(k)
        steps.append({"model": model, "variant": variant, "batch": batch, "length": length,
                      "tfjs": tj, "tfjsEager": eager, "tfjsStock": stock, "pytorch": pt,
                      "ratio": ratio(num(tj, "ms"), num(pt, "ms")),
                      "eagerRatio": ratio(num(eager, "ms"), num(pt, "ms")),
                      "stockRatio": ratio(num(stock, "ms"), num(pt, "ms"))})
    gemm = []
    stock_gemm = {gemm_key(r): r for r in by_engine(tfjs["gemm"], "off")}
    for k, pt, tj in pair(torch["gemm"], by_engine(tfjs["gemm"], "on"), gemm_key):
        b, M, K, N, ta, tb = k
        stock = stock_gemm.get(k)
        gemm.append({"name": (pt or tj or stock).get("name"), "batch": b, "M": M, "K": K, "N": N, "transA": ta,
                     "transB": tb, "tfjs": tj, "tfjsStock": stock, "pytorch": pt,
                     "speedFraction": ratio(num(tj, "tflops"), num(pt, "tflops")),
                     "stockSpeedFraction": ratio(num(stock, "tflops"), num(pt, "tflops"))})
    return {"tfjs": facts(tfjs), "pytorch": facts(torch), "steps": steps, "gemm": gemm}


def markdown(m):
    t, p = m["tfjs"], m["pytorch"]
    out = ["# Training step: TensorFlow.js (WebGPU) vs PyTorch, same models, same GPU", ""]

    def fact(label, tv, pv):
        out.append(f"| {label} | {tv if tv not in (None, '') else DASH} | {pv if pv not in (None, '') else DASH} |")

    out += ["| | tfjs | PyTorch |", "|---|---|---|"]
    fact("device", t.get("device"), p.get("device"))
    fact("date", t.get("date"), p.get("date"))
    shown = {"device", "date", "command", "error"}
    versions = lambda run: ", ".join(f"{k} {v}" for k, v in run.items() if k not in shown)
    fact("run", versions(t), versions(p))
    fact("command", f"`{t['command']}`" if t.get("command") else None,
         f"`{p['command']}`" if p.get("command") else None)
    for side, run in (("tfjs", t), ("PyTorch", p)):
        if run.get("error"):
            out += ["", f"{side} results missing: {run['error']}"]

    out += ["", "## Training step", "",
            "Median ms per step (forward, loss, backward, clipping, AdamW); ratio > 1: tfjs is slower. "
            "tfjs: attnzoo's kernels with step replay; op by op: the same kernels, replay off; stock: "
            "tfjs's own products, op by op.", "",
            "| model | variant | batch | length | tfjs ms | PyTorch ms | tfjs / PyTorch | op by op ms | "
            "op by op / PyTorch | stock ms | stock / PyTorch | tfjs dispatches | replayed steps | PyTorch peak MiB | params |",
            "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for s in m["steps"]:
        tj, pt = s["tfjs"], s["pytorch"]
        params = num(pt, "params") if num(pt, "params") is not None else num(tj, "params")
        note = "; ".join(f"{side}: {r['error']}" for side, r in (("tfjs", tj), ("PyTorch", pt)) if r and r.get("error"))
        out.append(
            f"| {s['model']} | {s['variant']} | {fmt(s['batch'])} | {fmt(s['length'])} | {fmt(num(tj, 'ms'))} | "
            f"{fmt(num(pt, 'ms'))} | {fmt(s['ratio'])} | {fmt(num(s.get('tfjsEager'), 'ms'))} | "
            f"{fmt(s.get('eagerRatio'))} | {fmt(num(s.get('tfjsStock'), 'ms'))} | "
            f"{fmt(s.get('stockRatio'))} | {fmt(num(tj, 'dispatches'))} | {fmt(num(tj, 'replayed'))} | "
            f"{fmt(num(pt, 'peakMiB'), 0)} | {fmt(params)} |" + (f" {note}" if note else ""))
        for fb in (tj or {}).get("replayFallbacks") or []:
            out.append(f"|  | replay fell back: {fb} |")

    out += ["", "## GEMM shapes", "",
            "fp32 C[b] = op(A[b]) · op(B[b]), op = transpose where marked (N/T for A then B); median ms; "
            "speed = tfjs TFLOP/s as a fraction of PyTorch's.", "",
            "| shape | batch | M | K | N | op | tfjs ms | tfjs TFLOP/s | PyTorch ms | PyTorch TFLOP/s | tfjs speed | "
            "tfjs stock TFLOP/s | stock speed |",
            "|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for g in m["gemm"]:
        tj, pt = g["tfjs"], g["pytorch"]
        op = ("T" if g["transA"] else "N") + ("T" if g["transB"] else "N")
        frac = g["speedFraction"]
        stock_frac = g.get("stockSpeedFraction")
        out.append(
            f"| {g['name']} | {fmt(g['batch'])} | {fmt(g['M'])} | {fmt(g['K'])} | {fmt(g['N'])} | {op} | "
            f"{fmt(num(tj, 'ms'), 3)} | {fmt(num(tj, 'tflops'))} | {fmt(num(pt, 'ms'), 3)} | "
            f"{fmt(num(pt, 'tflops'))} | {DASH if frac is None else f'{100 * frac:.0f} %'} | "
            f"{fmt(num(g.get('tfjsStock'), 'tflops'))} | {DASH if stock_frac is None else f'{100 * stock_frac:.0f} %'} |")
    return "\n".join(out) + "\n"


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--pytorch", required=True, help="pytorch.json from vs-pytorch.py")
    p.add_argument("--tfjs", required=True, help="tfjs.json from the TypeScript side")
    p.add_argument("--out", required=True, help="folder for vs-pytorch.md and vs-pytorch.json")
    args = p.parse_args(argv)
    merged = merge(load(args.tfjs), load(args.pytorch))
    os.makedirs(args.out, exist_ok=True)
    text = markdown(merged)
    with open(os.path.join(args.out, "vs-pytorch.md"), "w") as fh:
        fh.write(text)
    with open(os.path.join(args.out, "vs-pytorch.json"), "w") as fh:
        json.dump(merged, fh, indent=1, ensure_ascii=False)
    sys.stdout.write(text)


if __name__ == "__main__":
    main()
