#!/bin/sh
# Speed probe before the release runs: where a ViT training step's time goes (CPU profile and
# kernels by op, batch 256 and 32) and one short epoch of the text classifier and the translator,
# each on its own GPU. Carry .gl, .device/{node.xz,app,data/imdb-256.bin.gz,data/translator}.
. scripts/device/setup.sh
. ../scripts/device/isolation.sh
P="$OUT/prof"; mkdir -p "$P" work
../scripts/device/gpu.sh 0 "$NODE" --cpu-prof --cpu-prof-dir="$P" app/attnzoo.mjs release profile vit-mnist-super --batch-size 256 --backend webgpu --summary "$P/vit256.json" > "$P/vit256.log" 2>&1 &
../scripts/device/gpu.sh 1 "$NODE" app/attnzoo.mjs release profile vit-mnist-super --batch-size 32 --steps 20 --backend webgpu --summary "$P/vit32.json" > "$P/vit32.log" 2>&1 &
timeout 170 ../scripts/device/gpu.sh 2 "$NODE" app/attnzoo.mjs release train textcls-imdb-sdpa --data data/imdb-256.bin.gz --out work/probe --epochs 1 --train-limit 4000 --eval-limit 2000 --backend webgpu > "$P/text.log" 2>&1 &
timeout 170 ../scripts/device/gpu.sh 3 "$NODE" app/attnzoo.mjs release train translator-en-es-sdpa --data data/translator/spa-eng.s2s --out work/probe-tr --epochs 1 --train-limit 8000 --test-limit 500 --bleu-sentences 100 --backend webgpu > "$P/translator.log" 2>&1 &
sleep 40; nvidia-smi --query-gpu=index,utilization.gpu,memory.used --format=csv; top -b -n1 | head -20
wait
for f in "$P"/*.log; do echo "== $f"; grep -v "^epoch .*ETA" "$f" | tail -n 6 | cut -c1-1500; done
cd "$P" && tar cf ../prof.tar . && cd .. && rm -rf "$P"
