#!/bin/sh
# The four translator-en-es-* releases trained side by side on one GPU, resumable across calls
# (checkpoints stay in .device/work on the same machine: 78 MB each, too large to bring back).
#   sh scripts/device/translator-releases.sh probe
#       one epoch of 8,000 pairs of each variant, the four at once: sizes E below.
#   sh scripts/device/translator-releases.sh train <epochs E> <minutes>
#       trains (or resumes) E epochs each, pausing before the call's minutes run out; when a variant
#       has all E epochs it decodes the 6,141 test pairs (greedy, and beam 4 on BEAM_SENTENCES of
#       them) and packs its release; exit 75 while any is unfinished.
# First call: carry .gl and .device, with .device/data/translator/spa-eng.s2s prepared here
# (docs/releases/translator.md, step 1); later calls carry nothing. Finished releases come back as
# $OUT/translator-en-es-<variant>.tar (about 15 MB each), logs as $OUT/logs.tar.
MODE=${1:-probe}
T0=$(date +%s)
. scripts/device/setup.sh
VARIANTS=${VARIANTS:-sdpa optimised efficient super}
BEAM_SENTENCES=${BEAM_SENTENCES:-1000}
DATA=data/translator/spa-eng.s2s
mkdir -p work/logs
L=work/logs
[ -f "$DATA" ] || { echo "no .device/$DATA: prepare it first (docs/releases/translator.md, step 1)"; exit 2; }

if [ "$MODE" = probe ]; then
  for v in $VARIANTS; do
    "$NODE" app/attnzoo.mjs release train "translator-en-es-$v" --backend webgpu --data "$DATA" \
      --epochs 1 --train-limit 8000 --test-limit 200 --bleu-sentences 100 --beam 1 \
      --out "work/probe-$v" --summary "$L/probe-$v.json" > "$L/probe-$v.log" 2>&1 &
  done
  sleep 30
  nvidia-smi --query-gpu=utilization.gpu,memory.used --format=csv > "$L/nvidia-smi.txt"
  wait
  for v in $VARIANTS; do echo "== $v"; grep -E "parameters|^epoch|BLEU|rror" "$L/probe-$v.log" | cut -c1-200 | tail -4; done
  cat "$L/nvidia-smi.txt"
  tar cf "$OUT/logs.tar" -C work logs
  echo "elapsed $(( $(date +%s) - T0 )) s"
  exit 0
fi

E=$2
MIN=$3
# Leave three minutes for the test decodes and packing of a variant that finishes in this call.
M=$(awk "BEGIN { print $MIN - 3 }")
for v in $VARIANTS; do
  n=translator-en-es-$v
  [ -f "work/$n.done" ] && continue
  R=""; [ -d "work/ckpt-$n" ] && R="--resume"
  ( "$NODE" app/attnzoo.mjs release train "$n" --backend webgpu --data "$DATA" --epochs "$E" \
      --checkpoints "work/ckpt-$n" $R --time-limit-minutes "$M" --beam-sentences "$BEAM_SENTENCES" \
      --out "work/$n" --summary "$L/$n.json" >> "$L/$n.log" 2>&1
    rc=$?; echo "exit $rc" >> "$L/$n.log"; [ $rc = 0 ] && touch "work/$n.done" ) &
done
sleep 120
nvidia-smi --query-gpu=utilization.gpu,memory.used --format=csv >> "$L/nvidia-smi.txt"
wait
for v in $VARIANTS; do [ -f "work/translator-en-es-$v.tar" ] && cp "work/translator-en-es-$v.tar" "$OUT/"; done
tar cf "$OUT/logs.tar" -C work logs
for f in $L/translator-*.log; do
  echo "== $f"; grep -E "^epoch|BLEU|paused|resum|rror|exit" "$f" | cut -c1-200 | tail -3
done
cat "$L/nvidia-smi.txt"; ls -la "$OUT"; echo "elapsed $(( $(date +%s) - T0 )) s"
want=$(echo $VARIANTS | wc -w)
[ "$(ls work/translator-*.done 2>/dev/null | wc -l)" -ge "$want" ] || exit 75
