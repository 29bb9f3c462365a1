"""Trains a ViT release with the TypeScript recipe (packages/vit/src/presets.ts, release.ts) in
PyTorch: same architecture, augmentation (augment.py), loss, AdamW, clipping and warm-up + cosine
schedule; the accuracy anchor for the TypeScript release run on the same GPU.

    python3 -m attnzoo_torch.train_vit vit-cifar10-super --data cifar-10-jpeg-q75.tar.gz \
        --epochs 100 --checkpoints ckpt --time-limit-minutes 9 --out result.json

Data-parallel with torchrun (DDP; NCCL on GPUs, gloo on CPUs): the global batch is split over
the processes, rank 0 writes checkpoints and results; the same command under
`torchrun --nproc-per-node N -m attnzoo_torch.train_vit ...` (or `python3 -m torch.distributed.run`).
`--export-like <preset folder>` writes the trained weights as safetensors under that preset's tfjs
names and config, for `attnzoo import` (docs/safetensors.md).

Resumable: a checkpoint after every epoch; with --time-limit-minutes it stops before the deadline
with exit status 75 and the next call with the same arguments resumes. Data: the CIFAR-10 JPEG
tarball the TypeScript run reads (train/<class>/*.jpg, test/<class>/*.jpg), decoded with Pillow.
"""
from __future__ import annotations

import argparse
import io
import json
import math
import os
import random
import sys
import tarfile
import time

import numpy as np
import torch

from . import augment
from .port import read_tfjs_preset, to_safetensors
from .releases import build, recipe, split_name
from .training import adamw, sparse_cross_entropy

# The TypeScript preprocessor's settings per family (packages/vit/src/presets.ts).
PREPROCESS = {
    "vit-cifar10": dict(mean=[0.4914, 0.4822, 0.4465], std=[0.247, 0.2435, 0.2616], crop_padding=4,
                        horizontal_flip=True, trivial_augment=True, random_erasing=0.25),
}
EXIT_PAUSED = 75


def read_jpeg_tar(path, splits=("train", "test")):
    """{split: (images uint8 [N, H, W, 3], labels int64 [N])}, classes in sorted name order."""
    from PIL import Image

    found, classes_seen = {}, set()
    with tarfile.open(path, "r:*") as tar:
        for member in tar:
            parts = member.name.split("/")
            if not member.isfile() or len(parts) != 3 or not parts[2].endswith(".jpg"):
                continue
            classes_seen.add(parts[1])
            if parts[0] not in splits:
                continue
            data = tar.extractfile(member).read()
            img = np.asarray(Image.open(io.BytesIO(data)).convert("RGB"), dtype=np.uint8)
            found.setdefault(parts[0], []).append((parts[1], parts[2], img))
    classes = sorted(classes_seen)
    out = {}
    for split, items in found.items():
        items.sort(key=lambda t: (t[0], t[1]))
        out[split] = (np.stack([t[2] for t in items]),
                      np.array([classes.index(t[0]) for t in items], dtype=np.int64))
    return out, classes


class AugmentedImages(torch.utils.data.Dataset):
    """Crop (zero padding) + flip + TrivialAugment on 0-255 pixels, normalise, random erasing."""

    def __init__(self, images, labels, pre, train):
        self.images, self.labels, self.pre, self.train = images, labels, pre, train
        self.mean = np.array(pre["mean"]) * 255
        self.std = np.array(pre["std"]) * 255

    def __len__(self):
        return len(self.labels)

    def __getitem__(self, i):
        img = self.images[i].astype(np.float64)
        if self.train:
            r = random.random
            if self.pre["trivial_augment"]:
                img = augment.trivial_augment(img, r)
            pad = self.pre["crop_padding"]
            h, w, _ = img.shape
            dy = int(r() * (2 * pad + 1)) - pad
            dx = int(r() * (2 * pad + 1)) - pad
            padded = np.zeros((h + 2 * pad, w + 2 * pad, img.shape[2]))
            padded[pad:pad + h, pad:pad + w] = img
            img = padded[pad + dy:pad + dy + h, pad + dx:pad + dx + w]
            if self.pre["horizontal_flip"] and r() < 0.5:
                img = img[:, ::-1]
        x = (img - self.mean) / self.std
        if self.train:
            augment.random_erasing(x, self.pre["random_erasing"], random.random)
        return torch.from_numpy(np.ascontiguousarray(x, dtype=np.float32)), int(self.labels[i])


def worker_seed(worker_id):
    random.seed(torch.initial_seed() % 2**32 + worker_id)


def lr_at(step, total, peak, warmup_fraction):
    """Linear warm-up then cosine decay to 0 (packages/train/src/schedule.ts)."""
    warm = max(1, round(total * warmup_fraction))
    if step < warm:
        return peak * (step + 1) / warm
    t = (step - warm) / max(1, total - warm)
    return peak * 0.5 * (1 + math.cos(math.pi * min(1.0, t)))


@torch.no_grad()
def evaluate(model, loader, device):
    model.eval()
    correct = n = 0
    loss = 0.0
    for x, y in loader:
        x, y = x.to(device, non_blocking=True), y.to(device, non_blocking=True)
        logits = model(x)
        loss += sparse_cross_entropy(logits, y).item() * len(y)
        correct += (logits.argmax(-1) == y).sum().item()
        n += len(y)
    model.train()
    return correct / n, loss / n


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("name")
    p.add_argument("--data", required=True)
    p.add_argument("--epochs", type=int, required=True)
    p.add_argument("--batch-size", type=int)
    p.add_argument("--warmup-fraction", type=float, default=0.05)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--checkpoints", required=True)
    p.add_argument("--time-limit-minutes", type=float)
    p.add_argument("--workers", type=int, default=4)
    p.add_argument("--train-limit", type=int, help="first N training images (smoke runs)")
    p.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    p.add_argument("--out", required=True, help="result JSON (history and test accuracy)")
    p.add_argument("--export-like", help="preset folder whose names and config the safetensors export uses")
    p.add_argument("--export", help="safetensors file for the trained weights (with --export-like)")
    a = p.parse_args(argv)
    started = time.time()
    world = int(os.environ.get("WORLD_SIZE", "1"))
    # Launched by torchrun (it sets LOCAL_RANK): data-parallel through a process group even with one
    # process, so that a one-GPU run exercises the same DDP and NCCL path as a multi-GPU one.
    distributed = world > 1 or "LOCAL_RANK" in os.environ
    backend = None
    rank = int(os.environ.get("RANK", "0"))
    if distributed:
        import torch.distributed as dist

        local = int(os.environ.get("LOCAL_RANK", "0"))
        if a.device == "cuda":
            torch.cuda.set_device(local)
            a.device = f"cuda:{local}"
        backend = "nccl" if a.device.startswith("cuda") else "gloo"
        dist.init_process_group(backend)
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False
    family, _ = split_name(a.name)
    pre = PREPROCESS[family]
    rec = recipe(a.name)
    batch = a.batch_size or rec.batch_size
    if batch % world:
        raise SystemExit(f"--batch-size {batch} does not split over {world} processes")
    torch.manual_seed(a.seed)  # the same initial weights on every rank
    random.seed(a.seed * 1000 + rank)  # different augmentation draws per rank

    data, classes = read_jpeg_tar(a.data)
    train_x, train_y = data["train"]
    if a.train_limit:
        train_x, train_y = train_x[:a.train_limit], train_y[:a.train_limit]
    test_x, test_y = data["test"]
    train_set = AugmentedImages(train_x, train_y, pre, True)
    sampler = (torch.utils.data.distributed.DistributedSampler(train_set, world, rank, shuffle=True, seed=a.seed)
               if distributed else None)
    loader = torch.utils.data.DataLoader(
        train_set, batch_size=batch // world, shuffle=sampler is None, sampler=sampler, drop_last=False,
        num_workers=a.workers, worker_init_fn=worker_seed, persistent_workers=a.workers > 0,
        pin_memory=a.device.startswith("cuda"))
    test_loader = torch.utils.data.DataLoader(AugmentedImages(test_x, test_y, pre, False), batch_size=1000,
                                              num_workers=a.workers)
    model = build(a.name).to(a.device)
    net = torch.nn.parallel.DistributedDataParallel(model) if distributed else model
    opt = adamw(model, rec)
    total = a.epochs * len(loader)
    params = [q for q in model.parameters() if q.requires_grad]

    os.makedirs(a.checkpoints, exist_ok=True)
    ckpt = os.path.join(a.checkpoints, "last.pt")
    history, start = [], 0
    if os.path.exists(ckpt):
        state = torch.load(ckpt, map_location=a.device, weights_only=False)
        model.load_state_dict(state["model"])
        opt.load_state_dict(state["optimizer"])
        history, start = state["history"], state["epoch"]
        torch.set_rng_state(state["torch_rng"])
        if rank == 0:
            random.setstate(state["py_rng"])
        print(f"{a.name}: resumed after epoch {start}", flush=True)
    log = print if rank == 0 else (lambda *x, **k: None)
    log(f"{a.name}: {len(train_y)} training, {len(test_y)} test images; "
        f"{sum(q.numel() for q in params)} parameters; {a.epochs} epochs of {len(loader)} steps"
        f"{f' on {world} processes' if distributed else ''}", flush=True)

    status = 0
    for epoch in range(start, a.epochs):
        if a.time_limit_minutes is not None and history:
            per_epoch = history[-1]["seconds"] + 5
            stop = torch.tensor([float(time.time() - started + per_epoch > a.time_limit_minutes * 60)])
            if distributed:  # rank 0's clock decides, so every rank stops at the same epoch
                dist.broadcast(stop, 0)
            if stop.item():
                status = EXIT_PAUSED
                break
        if sampler is not None:
            sampler.set_epoch(epoch)
        t0 = time.time()
        loss_sum = torch.zeros((), device=a.device)
        for i, (x, y) in enumerate(loader):
            step = epoch * len(loader) + i
            for g in opt.param_groups:
                g["lr"] = lr_at(step, total, rec.peak_lr, a.warmup_fraction)
            x, y = x.to(a.device, non_blocking=True), y.to(a.device, non_blocking=True)
            opt.zero_grad(set_to_none=True)
            loss = sparse_cross_entropy(net(x), y, rec.label_smoothing)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(params, rec.clip_norm)
            opt.step()
            loss_sum += loss.detach()
        if distributed:
            dist.all_reduce(loss_sum)
            loss_sum /= world
        train_loss = (loss_sum / len(loader)).item()
        seconds = time.time() - t0
        acc, test_loss = evaluate(model, test_loader, a.device)
        history.append(dict(epoch=epoch + 1, loss=train_loss, test_accuracy=acc, test_loss=test_loss,
                            seconds=seconds))
        log(json.dumps(history[-1]), flush=True)
        if rank == 0:
            torch.save(dict(model=model.state_dict(), optimizer=opt.state_dict(), history=history,
                            epoch=epoch + 1, torch_rng=torch.get_rng_state(), py_rng=random.getstate()), ckpt)
        if distributed:
            dist.barrier()

    done = len(history) == a.epochs
    if rank != 0:
        return status
    if done and a.export:
        if not a.export_like:
            raise SystemExit("--export needs --export-like <preset folder> (the names and config to write)")
        config, weights = read_tfjs_preset(a.export_like)
        to_safetensors(model, a.export, config, list(weights), preset=a.name)
        log(f"{a.name}: weights written to {a.export}", flush=True)
    result = dict(name=a.name, framework=f"pytorch {torch.__version__}", device=a.device, processes=world,
                  process_group=backend,
                  gpu=torch.cuda.get_device_name() if a.device.startswith("cuda") else None, epochs=a.epochs,
                  batch_size=batch, train_images=len(train_y), test_images=len(test_y), classes=classes,
                  finished=done, test_accuracy=history[-1]["test_accuracy"] if history else None,
                  history=history)
    with open(a.out, "w") as f:
        json.dump(result, f, indent=1)
    log(f"{a.name}: {'finished' if done else 'paused'} after {len(history)} of {a.epochs} epochs; "
          f"test accuracy {result['test_accuracy']}", flush=True)
    return status


if __name__ == "__main__":
    sys.exit(main())
