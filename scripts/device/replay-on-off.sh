#!/bin/sh
# The same quickstart with step replay on and off on the GPU (bench-results/.../replay-on-off):
#   OUT=$OUT sh scripts/device/replay-on-off.sh      # .gl and .device carried (see README.md)
# vit-mnist-super moved to Fashion-MNIST with a new head, 80 steps, against the same ViT from
# scratch, seed 1; the JSON holds accuracies, losses and each training's step-replay report.
. scripts/device/setup.sh
for r in 1 0; do
  ATTNZOO_STEP_REPLAY=$r "$NODE" app/attnzoo.mjs quickstart --backend webgpu \
    --from ../models/vit-mnist-super/preset --out "$OUT/preset$r" --json > "$OUT/quickstart-replay-$r.json" 2> "$OUT/quickstart-replay-$r.log"
  rm -rf "$OUT/preset$r"
done
