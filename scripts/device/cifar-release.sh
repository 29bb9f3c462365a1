#!/bin/sh
# One vit-cifar10 release trained on one GPU with its full recipe (60 epochs), resumable across
# calls: carry .gl and .device (node.xz, app/, data/cifar-10-jpeg-q75.tar.gz and, to resume,
# data/ckpt-<name>.tar from the previous call's $OUT).
#   OUT=$OUT sh scripts/device/cifar-release.sh vit-cifar10-super [minutes]   (BATCH, default 512)
# Exit 75 (paused): $OUT/ckpt-<name>.tar holds the checkpoint; copy it to .device/data and call again.
NAME=${1:-vit-cifar10-super}
MIN=${2:-8}
. scripts/device/setup.sh
mkdir -p work
# The archive may come in two parts, ../.cifar-a and ../.cifar-b (carried one at a time).
if [ ! -f data/cifar-10-jpeg-q75.tar.gz ] && [ -d ../.cifar-a ]; then
  cat ../.cifar-a/* ../.cifar-b/* > data/cifar-10-jpeg-q75.tar.gz
fi
RESUME=""
if [ -f "data/ckpt-$NAME.tar" ]; then tar xf "data/ckpt-$NAME.tar" -C work && RESUME="--resume"; fi
"$NODE" app/attnzoo.mjs release train "$NAME" --backend webgpu --data data/cifar-10-jpeg-q75.tar.gz \
  --batch-size "${BATCH:-512}" --checkpoints "work/ckpt-$NAME" $RESUME --time-limit-minutes "$MIN" \
  --out "work/$NAME" --tar "$OUT/$NAME.tar" --summary "$OUT/$NAME-summary.json" > "$OUT/$NAME.log" 2>&1
RC=$?
echo "exit $RC" >> "$OUT/$NAME.log"
if [ "$RC" = 75 ]; then tar cf "$OUT/ckpt-$NAME.tar" -C work "ckpt-$NAME"; fi
grep -v Warning "$OUT/$NAME.log" | tail -25
ls -la "$OUT"
