#!/bin/sh
# The eight ViT releases in one call of at most 10 minutes: vit-mnist-* and vit-cifar10-*, one
# variant per GPU where there are several (MNIST and CIFAR-10 of a variant share it), all on one
# GPU otherwise. Each run sizes its epochs to its --budget-minutes from a timing probe.
# Carry .gl and .device (node.xz, app/ from scripts/bundle-for-device.mjs, data/mnist with the
# four raw IDX files, data/cifar-10-jpeg-q75.tar.gz) and run from the repository root:
#   sh scripts/device/vit-releases.sh [mnist-minutes] [cifar-minutes]
# Release tars land in $OUT as they finish (8 files, the most a call returns).
. scripts/device/setup.sh
. ../scripts/device/isolation.sh
M=${1:-6}
C=${2:-7.5}
mkdir -p work
i=0
for v in sdpa optimised efficient super; do
  g=$(( i % GPUS )); i=$(( i + 1 ))
  timeout 555 ../scripts/device/gpu.sh $g "$NODE" app/attnzoo.mjs release train vit-mnist-$v --backend webgpu \
    --data data/mnist --budget-minutes "$M" --out work/vit-mnist-$v --tar "$OUT/vit-mnist-$v.tar" \
    > work/vit-mnist-$v.log 2>&1 &
  timeout 555 ../scripts/device/gpu.sh $g "$NODE" app/attnzoo.mjs release train vit-cifar10-$v --backend webgpu \
    --data data/cifar-10-jpeg-q75.tar.gz --budget-minutes "$C" --out work/vit-cifar10-$v \
    --tar "$OUT/vit-cifar10-$v.tar" > work/vit-cifar10-$v.log 2>&1 &
done
sleep 90
nvidia-smi --query-gpu=index,utilization.gpu,memory.used --format=csv
wait
for f in work/*.log; do echo "== $f"; grep -E "^(attnzoo backend|budget)|RESULT|rror" "$f" | head -5; tail -n 2 "$f"; done
ls -la "$OUT"
