#!/bin/sh
# The engine table again after a GEMM planner change, with the previous planner beside it in the same
# call: training steps (attnzoo's engine, replayed and op by op) and every model GEMM shape against
# PyTorch with the current planner, then the same shapes with ATTNZOO_WEBGPU_GEMM_PLAN=v1 (a switch
# of the build at e0cc4f5, where a candidate planner was the default: check that the build under test
# still reads it; bench-results/h200-2026-12-03/gemm-plan-ab).
#   sh scripts/device/gemm-plan-ab.sh         (carry .gl and .device)
# Comes back as $OUT/engine.tar: current/ (vs-pytorch.sh's files) and v1/tfjs.json.
T0=$(date +%s)
W=/tmp/gemm-plan-ab
mkdir -p "$W/current" "$W/v1"
ENGINE=on OUT="$W/current" sh scripts/device/vs-pytorch.sh
grep -E "exit|rror" "$W/current/tfjs.log" | tail -3
ENGINE=on MODELS= SKIP_TORCH=1 ATTNZOO_WEBGPU_GEMM_PLAN=v1 OUT="$W/v1" sh scripts/device/vs-pytorch.sh
grep -E "exit|rror" "$W/v1/tfjs.log" | tail -3
tar cf "$OUT/engine.tar" -C "$W" current v1
echo "elapsed $(( $(date +%s) - T0 )) s"
