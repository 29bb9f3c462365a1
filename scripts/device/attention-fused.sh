#!/usr/bin/env bash
# Fused attention on the lent H100/H200, in one call: tfjs webgpu (fused kernel with and without
# subgroups, and the unfused path, with an on-device correctness check first) and PyTorch
# float32 SDPA / naive attention at batch 32, 8 heads, dk 64, L ∈ {256, 1024, 4096}.
# Needs: .device/node/bin/node and .device/app/attnzoo.mjs (node scripts/bundle-for-device.mjs),
# python3 with torch (CUDA). Writes to $OUT: fused-webgpu.json/.md (attnzoo bench fused),
# pytorch.json, attention-fused.md (merged table), gpu.txt, *.log, nvidia-smi memory peaks.
set -uo pipefail
cd "$(dirname "$0")/../.."
: "${OUT:?set OUT to the output folder}"
NODE=${NODE:-.device/node/bin/node}
LENGTHS=${LENGTHS:-256,1024,4096}

nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv > "$OUT/gpu.txt" 2>&1 || true

# Device-level memory peak of a whole step (tfjs keeps freed buffers in its pool, so this is the
# high-water mark of the largest case; per-case logical peaks are in the JSON).
peak_mem() { # <name> <command...>
  local name=$1; shift
  ( while true; do nvidia-smi --query-gpu=memory.used --format=csv,noheader,nounits 2>/dev/null; sleep 0.2; done ) > "$OUT/$name-mem.txt" &
  local sampler=$!
  "$@"; local rc=$?
  kill "$sampler" 2>/dev/null; wait "$sampler" 2>/dev/null
  echo "$name: exit $rc, peak nvidia-smi memory.used $(sort -n "$OUT/$name-mem.txt" | tail -1) MiB"
  return $rc
}

peak_mem tfjs timeout 360 "$NODE" .device/app/attnzoo.mjs bench fused --backend webgpu \
  --lengths "$LENGTHS" --out "$OUT" > "$OUT/fused-webgpu.log" 2>&1
tail -5 "$OUT/fused-webgpu.log"
peak_mem torch timeout 200 python3 scripts/device/attention-vs-pytorch.py --lengths "$LENGTHS" \
  --out "$OUT/pytorch.json" > "$OUT/pytorch.log" 2>&1
tail -3 "$OUT/pytorch.log" | cut -c1-300
python3 scripts/device/attention-vs-pytorch.py merge --webgpu "$OUT/fused-webgpu.json" \
  --pytorch "$OUT/pytorch.json" --out "$OUT/attention-fused.md"
