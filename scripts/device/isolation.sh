#!/bin/sh
# Sourced by the release scripts after setup.sh: with several GPUs, checks that gpu.sh really
# pins a process to one GPU (2 GiB held under `gpu.sh 1` must show on GPU 1 in nvidia-smi) and
# otherwise turns the isolation off, so every process shares GPU 0 rather than failing.
GPUS=$(ls /dev/nvidia[0-9]* 2>/dev/null | wc -l)
[ "$GPUS" -ge 1 ] || GPUS=1
if [ "$GPUS" -gt 1 ]; then
  cp ../scripts/device/check-isolation.mjs app/
  ../scripts/device/gpu.sh 1 "$NODE" app/check-isolation.mjs > /tmp/isolation.log 2>&1 &
  sleep 6
  nvidia-smi --query-gpu=index,memory.used --format=csv,noheader,nounits > /tmp/isolation.smi
  wait
  used1=$(awk -F', ' '$1==1 {print $2}' /tmp/isolation.smi)
  used0=$(awk -F', ' '$1==0 {print $2}' /tmp/isolation.smi)
  if grep -q ADAPTER /tmp/isolation.log && [ "${used1:-0}" -gt $(( ${used0:-0} + 1000 )) ]; then
    echo "gpu isolation: works ($GPUS GPUs; GPU0 ${used0} MiB, GPU1 ${used1} MiB while held)"
  else
    echo "gpu isolation: did not take (GPU0 ${used0} MiB, GPU1 ${used1} MiB); every process shares GPU 0"
    cat /tmp/isolation.log
    export GPU_ISOLATION=off
    GPUS=1
  fi
fi
export GPUS
