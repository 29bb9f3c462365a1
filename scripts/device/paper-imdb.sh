#!/bin/sh
# The paper's IMDB setup (arXiv 2403.01643; vocabulary 20k, length 32, width 32, 4 heads,
# feed-forward 32, one block, batch 64, 10 epochs, the best validation epoch's test accuracy),
# four variants × SEEDS seeds, on one GPU, with a Welch test and a verdict per claim:
#   sh scripts/device/paper-imdb.sh            (SEEDS, default 5)
# First call: carry .gl and .device (bundle: node scripts/bundle-for-device.mjs); the next, .imdb
# (a folder holding aclImdb_v1-labelled.tar.gz, 29 MB: too much beside .device in one call).
# Results: $OUT/paper-imdb.tar (results.json, results.md, chart.svg) and $OUT/paper-imdb.log.
T0=$(date +%s)
. scripts/device/setup.sh
mkdir -p work/paper
DATA=../.imdb/aclImdb_v1-labelled.tar.gz
[ -f "$DATA" ] || { echo "no $DATA: carry .imdb"; exit 2; }
"$NODE" app/attnzoo.mjs bench paper --task imdb --seeds "${SEEDS:-5}" --epochs 10 --batch-size 64 \
  --train-size 25000 --test-size 25000 --validation-fraction 0.2 --vocabulary 20000 --lr 1e-3 \
  --backend webgpu --data "$DATA" --out work/paper > "$OUT/paper-imdb.log" 2>&1
echo "exit $?" >> "$OUT/paper-imdb.log"
tar cf "$OUT/paper-imdb.tar" -C work/paper .
grep -v "^epoch\|Warning" "$OUT/paper-imdb.log" | tail -40
echo "elapsed $(( $(date +%s) - T0 )) s"
