#!/bin/sh
# Re-measures translator releases on the GPU with `attnzoo release evaluate`: the whole 6,141-pair
# test split, greedy and beam 4, the variants side by side:
#   sh scripts/device/translator-evaluate.sh sdpa optimised
# Carry .gl and .device (.device/data/translator/spa-eng.s2s[.xz]) once, and models/translator-en-es-<v>
# for each variant named. Comes back as $OUT/evaluate-<v>.tar (greedy.json, beam4.json, logs).
T0=$(date +%s)
. scripts/device/setup.sh
for v in "$@"; do
  W=work/evaluate-$v
  mkdir -p "$W"
  ( for beam in 1 4; do
      name=$([ $beam = 1 ] && echo greedy || echo beam$beam)
      "$NODE" app/attnzoo.mjs release evaluate translator --from "../models/translator-en-es-$v/preset" \
        --data data/translator/spa-eng.s2s --beam $beam --backend webgpu > "$W/$name.json" 2> "$W/$name.log"
      echo "exit $?" >> "$W/$name.log"
    done
    tar cf "$OUT/evaluate-$v.tar" -C "$W" . ) &
done
wait
for v in "$@"; do echo "== $v"; tail -c 400 work/evaluate-$v/greedy.log; echo; tail -c 400 work/evaluate-$v/beam4.log; echo; done
echo "elapsed $(( $(date +%s) - T0 )) s"
