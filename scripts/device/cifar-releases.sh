#!/bin/sh
# The four vit-cifar10-* releases and their PyTorch accuracy anchor (python/attnzoo_torch/
# train_vit.py, the same architecture and recipe) trained side by side on one GPU, resumable
# across calls.
#   sh scripts/device/cifar-releases.sh probe
#       step time of the four variants training at once (generated images, batch 512): sizes E.
#   sh scripts/device/cifar-releases.sh train <epochs E> <minutes>
#       trains (or resumes) E epochs each until the minutes are up; exit 75 while unfinished.
# First call: carry .gl and .device; the next, .cifar-a and .cifar-b (the CIFAR-10 JPEG tarball in
# two parts, joined into .device/data); later calls carry nothing: checkpoints stay in .device/work
# on the same machine. Finished releases come back as $OUT/vit-cifar10-<variant>.tar, the anchor's
# history as $OUT/anchor-<name>.json, logs as $OUT/logs.tar.
MODE=${1:-probe}
T0=$(date +%s)
. scripts/device/setup.sh
VARIANTS=${VARIANTS:-sdpa optimised efficient super}
ANCHOR=${ANCHOR-vit-cifar10-super}  # ANCHOR= (empty) skips the PyTorch anchor
mkdir -p work/logs
L=work/logs

if [ "$MODE" = probe ]; then
  for v in $VARIANTS; do
    "$NODE" app/attnzoo.mjs release profile "vit-cifar10-$v" --backend webgpu --batch-size 512 --steps 30 \
      --summary "$L/probe-$v.json" > "$L/probe-$v.log" 2>&1 &
  done
  sleep 45
  nvidia-smi --query-gpu=utilization.gpu,memory.used --format=csv > "$L/nvidia-smi.txt"
  wait
  for v in $VARIANTS; do
    python3 -c "import json,sys; p=json.load(open(sys.argv[1])); print(sys.argv[2], round(p['msPerStep'],1), 'ms/step')" \
      "$L/probe-$v.json" "$v" 2>/dev/null || tail -5 "$L/probe-$v.log"
  done
  cat "$L/nvidia-smi.txt"
  tar cf "$OUT/logs.tar" -C work logs
  echo "elapsed $(( $(date +%s) - T0 )) s"
  exit 0
fi

E=$2
MIN=$3
if [ ! -f data/cifar-10-jpeg-q75.tar.gz ] && [ -d ../.cifar-a ]; then
  cat ../.cifar-a/* ../.cifar-b/* > data/cifar-10-jpeg-q75.tar.gz
fi
[ -f data/cifar-10-jpeg-q75.tar.gz ] || { echo "no data/cifar-10-jpeg-q75.tar.gz: carry .cifar-a and .cifar-b"; exit 2; }
# Leave a minute for packing after the runs stop.
M=$(awk "BEGIN { print $MIN - 1 }")
for v in $VARIANTS; do
  n=vit-cifar10-$v
  [ -f "work/$n.done" ] && continue
  R=""; [ -d "work/ckpt-$n" ] && R="--resume"
  ( "$NODE" app/attnzoo.mjs release train "$n" --backend webgpu --data data/cifar-10-jpeg-q75.tar.gz \
      --epochs "$E" --batch-size 512 --checkpoints "work/ckpt-$n" $R --time-limit-minutes "$M" \
      --out "work/$n" --tar "work/$n.tar" --summary "$L/$n.json" >> "$L/$n.log" 2>&1
    rc=$?; echo "exit $rc" >> "$L/$n.log"; [ $rc = 0 ] && touch "work/$n.done" ) &
done
if [ -n "$ANCHOR" ] && [ ! -f work/anchor.done ]; then
  ( cd ../python && PYTHONUNBUFFERED=1 timeout $(( ${MIN%.*} * 60 )) python3 -m attnzoo_torch.train_vit "$ANCHOR" \
      --data ../.device/data/cifar-10-jpeg-q75.tar.gz --epochs "$E" --checkpoints ../.device/work/ckpt-anchor \
      --time-limit-minutes "$M" --out "../.device/work/anchor-$ANCHOR.json" >> "../.device/$L/anchor.log" 2>&1
    rc=$?; echo "exit $rc" >> "../.device/$L/anchor.log"; [ $rc = 0 ] && touch ../.device/work/anchor.done ) &
fi
sleep 150
nvidia-smi --query-gpu=utilization.gpu,memory.used --format=csv >> "$L/nvidia-smi.txt"
wait
for v in $VARIANTS; do [ -f "work/vit-cifar10-$v.tar" ] && cp "work/vit-cifar10-$v.tar" "$OUT/"; done
[ -f "work/anchor-$ANCHOR.json" ] && cp "work/anchor-$ANCHOR.json" "$OUT/"
tar cf "$OUT/logs.tar" -C work logs
for f in $L/*.log; do
  echo "== $f"; grep -E "epoch|accuracy|paused|resumed|rror|exit" "$f" | grep -v Warning | cut -c1-240 | tail -3
done
cat "$L/nvidia-smi.txt"; ls -la "$OUT"; echo "elapsed $(( $(date +%s) - T0 )) s"
ls work/*.done 2>/dev/null
# Unfinished while any variant (or the anchor, when there is one) has no .done mark.
want=$(echo $VARIANTS | wc -w); [ -n "$ANCHOR" ] && want=$((want + 1))
[ "$(ls work/*.done 2>/dev/null | wc -l)" -ge "$want" ] || exit 75
