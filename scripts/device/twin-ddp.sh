#!/bin/sh
# The PyTorch twin trained data-parallel under torchrun (DDP over NCCL) on the GPU machine's GPUs,
# its weights exported as safetensors under vit-cifar10-super's tfjs names for `attnzoo import`:
#   sh scripts/device/twin-ddp.sh [epochs, default 30] [processes, default: every GPU]
# Carry .cifar-a and .cifar-b (the CIFAR-10 JPEG tarball in two parts). Needs only python3 with
# PyTorch 2.x (its torchrun); no Node. Comes back as $OUT/twin-ddp.tar: result.json (history, test
# accuracy of the twin), trained.safetensors, torchrun.log, nvidia-smi.txt.
E=${1:-30}
N=${2:-$(nvidia-smi -L | wc -l)}
T0=$(date +%s)
W=/tmp/twin-ddp
mkdir -p "$W"
DATA="$W/cifar-10-jpeg-q75.tar.gz"
[ -f "$DATA" ] || cat .cifar-a/* .cifar-b/* > "$DATA" || { echo "carry .cifar-a and .cifar-b"; exit 2; }
cd python
PYTHONUNBUFFERED=1 torchrun --standalone --nproc-per-node "$N" -m attnzoo_torch.train_vit vit-cifar10-super \
  --data "$DATA" --epochs "$E" --checkpoints "$W/ckpt" --out "$W/result.json" \
  --export-like ../models/vit-cifar10-super/preset --export "$W/trained.safetensors" > "$W/torchrun.log" 2>&1
rc=$?
cd ..
echo "exit $rc" >> "$W/torchrun.log"
nvidia-smi > "$W/nvidia-smi.txt"
tar cf "$OUT/twin-ddp.tar" -C "$W" result.json trained.safetensors torchrun.log nvidia-smi.txt
grep -v Warning "$W/torchrun.log" | tail -8 | cut -c1-240
echo "elapsed $(( $(date +%s) - T0 )) s"
exit $rc
