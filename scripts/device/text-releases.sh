#!/bin/sh
# The text releases in one call of at most 10 minutes: translator-en-es-* (4 variants; the best two
# by test BLEU come back), textcls-imdb-* and textcls-amazon-* (8), and the fine-tuning example
# textcls-imdb-super → Amazon. One attention variant per GPU where there are several.
# Carry .gl and .device (node.xz, app/, data/imdb-256.bin.gz, data/amazon-256.bin.gz,
# data/amazon-imdbtok-256.bin.gz, data/translator/ made as docs/releases/*.md say):
#   sh scripts/device/text-releases.sh [translator-minutes] [imdb-minutes] [amazon-minutes]
# Comes back: the two best translator tars, text-releases.tar (8 release tars), logs.tar.
. scripts/device/setup.sh
. ../scripts/device/isolation.sh
T=${1:-5.5}
I=${2:-3}
A=${3:-1.5}
mkdir -p work/text work/logs
i=0
for v in sdpa optimised efficient super; do
  g=$(( i % GPUS )); i=$(( i + 1 ))
  G="../scripts/device/gpu.sh $g"
  timeout 540 $G "$NODE" app/attnzoo.mjs release train translator-en-es-$v \
    --data data/translator/spa-eng.s2s --out work/translator-en-es-$v --epochs 20 --minutes "$T" \
    --backend webgpu --summary work/logs/translator-en-es-$v.json > work/logs/translator-en-es-$v.log 2>&1 &
  (
    timeout 300 $G "$NODE" app/attnzoo.mjs release train textcls-imdb-$v --data data/imdb-256.bin.gz \
      --out work/text/textcls-imdb-$v --budget-minutes "$I" --backend webgpu \
      --summary work/logs/textcls-imdb-$v.json > work/logs/textcls-imdb-$v.log 2>&1
    timeout 200 $G "$NODE" app/attnzoo.mjs release train textcls-amazon-$v --data data/amazon-256.bin.gz \
      --out work/text/textcls-amazon-$v --budget-minutes "$A" --backend webgpu \
      --summary work/logs/textcls-amazon-$v.json > work/logs/textcls-amazon-$v.log 2>&1
    if [ $v = super ]; then
      timeout 90 $G "$NODE" app/attnzoo.mjs release finetune text-classifier --from work/text/textcls-imdb-super.tar \
        --data data/amazon-imdbtok-256.bin.gz --epochs 1 --out work/textcls-imdb-super-ft-amazon.tar \
        --backend webgpu --summary work/logs/finetune-imdb-super-amazon.json > work/logs/finetune.log 2>&1
    fi
  ) &
done
sleep 100
nvidia-smi --query-gpu=index,utilization.gpu,memory.used --format=csv
wait
# The two best translators by test BLEU (each ~15 MB; four would pass what a call returns).
for v in $(for f in work/logs/translator-en-es-*.json; do
    "$NODE" -e 'const s=require(process.argv[1]); console.log(s.bleu, s.variant ?? process.argv[1].match(/en-es-(\w+)/)[1])' "$PWD/$f"
  done | sort -rn | head -2 | awk '{print $2}'); do
  cp work/translator-en-es-$v.tar "$OUT/"
done
tar cf "$OUT/text-releases.tar" -C work/text .
tar cf "$OUT/logs.tar" -C work logs
for f in work/logs/*.log; do echo "== $f"; grep -E "^(attnzoo backend|budget)|accuracy|BLEU|rror" "$f" | head -6; tail -n 1 "$f"; done
ls -la "$OUT"
