#!/bin/sh
# One ~9.5-minute call on 2 GPUs: the four vit-mnist-* releases as one schedule that may span
# several calls (checkpoint every epoch, --time-limit-minutes, --resume) plus translator
# releases, three processes per GPU. Optionally first a submit-batch probe (PROBE=1).
# Carry .gl and .device (node.xz, app/, data/mnist, data/translator, and data/ckpt/ from the
# previous call's ckpt.tar when resuming). Run from the repository root:
#   [PROBE=1] [TE=<translator epochs, default 12>] sh scripts/device/mnist-translator.sh <mnist epochs> <translator variants...>
# Back in $OUT: finished release tars, ckpt.tar (the last checkpoint of each unfinished ViT run),
# logs.tar (logs, summaries, probe).
T0=$(date +%s)
. scripts/device/setup.sh
. ../scripts/device/isolation.sh
E=$1; shift
END=$(( T0 + 565 ))
mkdir -p work/logs work/rel data/ckpt
L=work/logs
left() { echo $(( END - $(date +%s) )); }

if [ "$PROBE" = 1 ]; then
  # Same ViT step alone on a GPU with tfjs's default submit batch (15 dispatches) and with 1000.
  for sb in 15 1000; do
    g=$([ $sb = 15 ] && echo 0 || echo 1)
    ATTNZOO_WEBGPU_SUBMIT_BATCH=$sb timeout 90 ../scripts/device/gpu.sh $g "$NODE" app/attnzoo.mjs release profile \
      vit-mnist-super --batch-size 512 --steps 10 --backend webgpu --summary $L/probe-sb$sb.json \
      > $L/probe-sb$sb.log 2>&1 &
  done
  wait
  SB=$("$NODE" -e '
    const r = [15, 1000].map((b) => { try { return [b, require(`./work/logs/probe-sb${b}.json`).msPerStep]; } catch { return [b, Infinity]; } });
    console.error("probe ms/step:", JSON.stringify(r));
    console.log(r[1][1] < r[0][1] ? 1000 : 15);')
  export ATTNZOO_WEBGPU_SUBMIT_BATCH=$SB
fi
echo "submit batch: ${ATTNZOO_WEBGPU_SUBMIT_BATCH:-tfjs default}; $(left) s left"

i=0
. ../scripts/device/resumable-runs.sh
start_resumable_runs vit-mnist data/mnist "$E" work/rel
for v in "$@"; do
  # Training budget: what is left less ~2.5 min for the greedy test decode, the beam slice and the tar.
  M=$(awk "BEGIN { print ($(left) - 150) / 60 }")
  timeout $(( $(left) - 5 )) ../scripts/device/gpu.sh $(( i % 2 )) "$NODE" app/attnzoo.mjs \
    release train translator-en-es-$v --data data/translator/spa-eng.s2s --out work/rel/translator-en-es-$v \
    --epochs "${TE:-12}" --minutes "$M" --batch-size 512 --lr 1e-3 --beam-sentences 500 --backend webgpu \
    --summary $L/translator-en-es-$v.json > $L/translator-en-es-$v.log 2>&1 &
  i=$(( i + 1 ))
done
sleep 100
nvidia-smi --query-gpu=index,utilization.gpu,memory.used --format=csv > $L/nvidia-smi.txt
top -b -n1 | head -25 >> $L/nvidia-smi.txt
wait
# Unfinished ViT runs: their last checkpoint (pointer + folder) goes back for the next call.
ckpt_tar vit-mnist work/rel "$OUT/ckpt.tar"
for f in work/rel/*.tar; do [ -f "$f" ] && cp "$f" "$OUT/"; done
tar cf "$OUT/logs.tar" -C work logs
for f in $L/*.log; do echo "== $f"; grep -E "^(attnzoo backend|budget)|paused|accuracy [0-9]|BLEU|rror|epoch [0-9]+:" "$f" | cut -c1-300 | tail -6; tail -n 1 "$f" | cut -c1-200; done
cat $L/nvidia-smi.txt | head -8
ls -la "$OUT"; echo "elapsed $(( $(date +%s) - T0 )) s"
