#!/bin/sh
# The side-by-side table against PyTorch, both sides in one call on the same GPU (see README.md):
#   OUT=$OUT bash scripts/device/vs-pytorch.sh
# Carry .gl and .device (node.xz, app/ from scripts/bundle-for-device.mjs). Environment:
#   MODELS, VARIANTS      what to time (default: all four models, all four variants; MODELS= times no steps)
#   GEMM_SHAPES           products to time (default: gemm-shapes-models.json, every product of one
#                         training step of each model, from `vs-pytorch.py --emit-shapes`); NO_GEMM=1: none
#   ENGINE                on | off | both (attnzoo's WebGPU products against tfjs's own), default both
#   GEMM_SWEEP=1          also time every tile and split count per product (planner tuning data)
#   STEPS                 timed steps per model (default 10)
#   SKIP_TORCH=1          the TypeScript side only
. scripts/device/setup.sh
R="$OUT"
SHAPES="${GEMM_SHAPES:-scripts/device/gemm-shapes-models.json}"
if [ -n "$NO_GEMM" ]; then TFJS_GEMM=""; TORCH_GEMM="--no-gemm"; else TFJS_GEMM="--gemm-shapes ../$SHAPES"; TORCH_GEMM="--gemm-shapes ../$SHAPES"; fi
nvidia-smi --query-gpu=name,driver_version,clocks.max.sm --format=csv > "$R/gpu.txt" 2>&1
# GPU use sampled every 100 ms with a wall-clock stamp; each side logs its own stamps.
nvidia-smi --query-gpu=timestamp,utilization.gpu --format=csv,noheader -lms 100 > "$R/gpu-util.csv" 2>/dev/null &
SMI=$!
date -u +"tfjs start %Y/%m/%d %H:%M:%S.%N" > "$R/phases.txt"
"$NODE" app/attnzoo.mjs bench vs-pytorch --backend webgpu \
  --models "${MODELS-vit-mnist,vit-cifar10,textcls-imdb,translator-en-es}" \
  --variants "${VARIANTS:-sdpa,optimised,efficient,super}" --engine "${ENGINE:-both}" \
  --steps "${STEPS:-10}" $TFJS_GEMM \
  ${GEMM_SWEEP:+--gemm-sweep} --out "$R" > "$R/tfjs.log" 2>&1
echo "tfjs exit $?" >> "$R/tfjs.log"
date -u +"tfjs end %Y/%m/%d %H:%M:%S.%N" >> "$R/phases.txt"
if [ -z "$SKIP_TORCH" ] && [ -f ../scripts/device/vs-pytorch.py ]; then
  date -u +"torch start %Y/%m/%d %H:%M:%S.%N" >> "$R/phases.txt"
  python3 ../scripts/device/vs-pytorch.py --device cuda --batch 512 \
    --models "${MODELS-vit-mnist,vit-cifar10,textcls-imdb,translator-en-es}" \
    --variants "${VARIANTS:-sdpa,optimised,efficient,super}" \
    $TORCH_GEMM --out "$R" > "$R/torch.log" 2>&1
  date -u +"torch end %Y/%m/%d %H:%M:%S.%N" >> "$R/phases.txt"
  python3 ../scripts/device/vs-pytorch-merge.py --tfjs "$R/tfjs.json" --pytorch "$R/pytorch.json" --out "$R" >> "$R/torch.log" 2>&1
fi
kill $SMI 2>/dev/null
