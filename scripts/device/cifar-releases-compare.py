"""Per-epoch training loss of the TypeScript vit-cifar10 runs beside the PyTorch anchor's, from the
logs of scripts/device/cifar-releases.sh (work/logs) and the anchor's JSON:
    python3 scripts/device/cifar-releases-compare.py <logs folder> <anchor.json> > table.md
"""
import json
import os
import re
import sys


def epochs(log):
    out = {}
    with open(log) as f:
        for line in f:
            m = re.match(r"epoch (\d+)/\d+ loss ([\d.]+) accuracy ([\d.]+) lr", line)
            if m:
                out[int(m[1])] = float(m[2])
    return out


def main(logs, anchor_path):
    with open(anchor_path) as f:
        anchor = json.load(f)
    variants = ["sdpa", "optimised", "efficient", "super"]
    runs = {v: epochs(os.path.join(logs, f"vit-cifar10-{v}.log")) for v in variants}
    resumed = {v: [] for v in variants}
    for v in variants:
        with open(os.path.join(logs, f"vit-cifar10-{v}.log")) as f:
            resumed[v] = [int(m[1]) for m in re.finditer(r"resuming at epoch (\d+)/", f.read())]
    print(f"Training loss per epoch (label smoothing 0.1, augmented batches); PyTorch anchor: "
          f"{anchor['name']} ({anchor['framework']}, {anchor['gpu']}). * = first epoch after a resume.\n")
    print("| epoch | " + " | ".join(f"attnzoo {v}" for v in variants) + f" | PyTorch {anchor['name'].split('-')[-1]} | PyTorch test accuracy |")
    print("|---" * (len(variants) + 3) + "|")
    for h in anchor["history"]:
        e = h["epoch"]
        cells = [(f"{runs[v][e]:.4f}" + ("*" if e in resumed[v] else "")) if e in runs[v] else "" for v in variants]
        print(f"| {e} | " + " | ".join(cells) + f" | {h['loss']:.4f} | {h['test_accuracy']:.4f} |")


if __name__ == "__main__":
    main(*sys.argv[1:3])
