#!/bin/sh
# One call (at most 10 minutes) on a machine of 1, 2 or 4 GPUs: the four vit-mnist-* releases,
# the eight textcls-{imdb,amazon}-* releases with the fine-tuning example textcls-imdb-super →
# Amazon, and translator-en-es-{sdpa,super}. Every run sizes its epochs to its time budget.
# Carry .gl and .device: node.xz, app/ (scripts/bundle-for-device.mjs), data/mnist (4 raw IDX,
# xz), data/imdb-256.bin.xz, data/amazon-256.bin.gz, data/amazon-imdbtok-256.bin.gz,
# data/translator (see docs/releases/*.md). To fit the 64 MiB a call carries, recompress:
#   zcat .device/data/imdb-256.bin.gz | xz > .device/data/imdb-256.bin.xz
#   xz .device/data/translator/spa-eng.s2s; rm .device/data/translator/tokenizer.vocab; rm .device/app/*.wasm
# (setup.sh unpacks every .xz). Run from the repository root:
#   sh scripts/device/mnist-text-releases.sh
# Comes back: releases.tar (the ViT and text release tars), the translator tars, logs.tar.
. scripts/device/setup.sh
. ../scripts/device/isolation.sh
mkdir -p work/rel work/logs
L=work/logs
i=0
for v in sdpa optimised efficient super; do
  G="../scripts/device/gpu.sh $i"; i=$(( i + 1 ))
  timeout 540 $G "$NODE" app/attnzoo.mjs release train vit-mnist-$v --backend webgpu --data data/mnist \
    --budget-minutes 6.3 --out work/vit-mnist-$v --tar work/rel/vit-mnist-$v.tar --summary $L/vit-mnist-$v.json \
    > $L/vit-mnist-$v.log 2>&1 &
  (
    timeout 270 $G "$NODE" app/attnzoo.mjs release train textcls-imdb-$v --data data/imdb-256.bin \
      --out work/rel/textcls-imdb-$v --budget-minutes 2.8 --backend webgpu --summary $L/textcls-imdb-$v.json \
      > $L/textcls-imdb-$v.log 2>&1
    timeout 180 $G "$NODE" app/attnzoo.mjs release train textcls-amazon-$v --data data/amazon-256.bin.gz \
      --out work/rel/textcls-amazon-$v --budget-minutes 1.6 --backend webgpu --summary $L/textcls-amazon-$v.json \
      > $L/textcls-amazon-$v.log 2>&1
    if [ $v = super ]; then
      timeout 80 $G "$NODE" app/attnzoo.mjs release finetune text-classifier --from work/rel/textcls-imdb-super.tar \
        --data data/amazon-imdbtok-256.bin.gz --epochs 1 --out work/textcls-imdb-super-ft-amazon.tar \
        --backend webgpu --summary $L/finetune-textcls-imdb-super-amazon.json > $L/finetune-text.log 2>&1
    fi
  ) &
done
for v in sdpa super; do
  G="../scripts/device/gpu.sh $i"; i=$(( i + 1 ))
  timeout 540 $G "$NODE" app/attnzoo.mjs release train translator-en-es-$v \
    --data data/translator/spa-eng.s2s --out work/translator-en-es-$v --epochs 2 --minutes 5.3 \
    --batch-size 512 --lr 1e-3 --backend webgpu --summary $L/translator-en-es-$v.json \
    > $L/translator-en-es-$v.log 2>&1 &
done
sleep 120
nvidia-smi --query-gpu=index,utilization.gpu,memory.used --format=csv
wait
tar cf "$OUT/releases.tar" -C work/rel .
for v in sdpa super; do [ -f work/translator-en-es-$v.tar ] && cp work/translator-en-es-$v.tar "$OUT/"; done
tar cf "$OUT/logs.tar" -C work logs
for f in $L/*.log; do echo "== $f"; grep -E "^(attnzoo backend|budget)|accuracy [0-9]|BLEU|rror" "$f" | cut -c1-300 | head -4; tail -n 1 "$f" | cut -c1-200; done
ls -la "$OUT"
