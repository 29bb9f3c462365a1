#!/bin/sh
# One call on 2 GPUs: finishes the vit-mnist-* schedules from data/ckpt (see mnist-translator.sh)
# and trains the four vit-cifar10-* releases in the time left (--budget-minutes), four processes
# per GPU. Carry .gl and .device (node.xz, app/, data/mnist, data/ckpt, data/cifar-10-jpeg-q75.tar.gz).
#   sh scripts/device/mnist-cifar.sh <mnist epochs> <cifar batch size>
T0=$(date +%s)
. scripts/device/setup.sh
. ../scripts/device/isolation.sh
E=$1; B=${2:-512}
END=$(( T0 + 560 ))
mkdir -p work/logs3 work/rel3
L=work/logs3
left() { echo $(( END - $(date +%s) )); }
i=0
. ../scripts/device/resumable-runs.sh
start_resumable_runs vit-mnist data/mnist "$E" work/rel3
for v in sdpa optimised efficient super; do
  # Budget: what is left less ~1.5 min for data loading, the probe's compile and three test evaluations.
  M=$(awk "BEGIN { print ($(left) - 95) / 60 }")
  timeout $(( $(left) - 5 )) ../scripts/device/gpu.sh $(( i % 2 )) "$NODE" app/attnzoo.mjs release train vit-cifar10-$v \
    --backend webgpu --data data/cifar-10-jpeg-q75.tar.gz --batch-size "$B" --budget-minutes "$M" \
    --out work/vit-cifar10-$v --tar work/rel3/vit-cifar10-$v.tar --summary $L/vit-cifar10-$v.json \
    > $L/vit-cifar10-$v.log 2>&1 &
  i=$(( i + 1 ))
done
sleep 120
nvidia-smi --query-gpu=index,utilization.gpu,memory.used --format=csv > $L/nvidia-smi.txt
wait
tar cf "$OUT/vit-releases.tar" -C work/rel3 .
tar cf "$OUT/logs3.tar" -C work logs3
for f in $L/*.log; do echo "== $f"; grep -E "^budget|paused|accuracy [0-9]|rror" "$f" | cut -c1-300 | tail -4; tail -n 1 "$f" | cut -c1-200; done
cat $L/nvidia-smi.txt; ls -la "$OUT"; echo "elapsed $(( $(date +%s) - T0 )) s"
