#!/bin/sh
# Sourced by mnist-translator.sh and mnist-cifar.sh (after setup.sh, with $END, $L and left()):
#   start_mnist_runs <epochs> <release tar folder>
# starts the four vit-mnist-* runs of one <epochs>-epoch schedule, alternating between two GPUs
# (sets i to 4 for the caller's next GPU). Each trains the epochs that end by $END less 40 s,
# checkpointing into data/ckpt/vit-mnist-<variant> after every epoch, and resumes from there: a
# schedule longer than one call ends in the call where its last epoch fits.
start_mnist_runs() {
  i=0
  for v in sdpa optimised efficient super; do
    M=$(awk "BEGIN { print ($(left) - 40) / 60 }")
    timeout $(( $(left) - 5 )) ../scripts/device/gpu.sh $(( i % 2 )) "$NODE" app/vit.mjs train-release vit-mnist-$v \
      --backend webgpu --data data/mnist --epochs "$1" --checkpoints data/ckpt/vit-mnist-$v --resume \
      --time-limit-minutes "$M" --out work/vit-mnist-$v --tar "$2/vit-mnist-$v.tar" \
      --summary $L/vit-mnist-$v.json > $L/vit-mnist-$v.log 2>&1 &
    i=$(( i + 1 ))
  done
}
