#!/bin/sh
# The four textcls-imdb-* releases alone (one or two per GPU), e.g. to give them a second epoch
# when a shared call left room for one. Carry .gl, .device/{node.xz,app,data/imdb-256.bin.xz}.
#   sh scripts/device/imdb-releases.sh [minutes]
. scripts/device/setup.sh
. ../scripts/device/isolation.sh
mkdir -p work/rel work/logs
i=0
for v in sdpa optimised efficient super; do
  timeout 250 ../scripts/device/gpu.sh $i "$NODE" app/attnzoo.mjs release train textcls-imdb-$v \
    --data data/imdb-256.bin --out work/rel/textcls-imdb-$v --budget-minutes "${1:-3}" --backend webgpu \
    --summary work/logs/textcls-imdb-$v.json > work/logs/textcls-imdb-$v.log 2>&1 &
  i=$(( i + 1 ))
done
wait
tar cf "$OUT/imdb.tar" -C work rel logs
for f in work/logs/*.log; do echo "== $f"; grep -E "^budget|^epoch|accuracy [0-9]" "$f" | cut -c1-250; done
