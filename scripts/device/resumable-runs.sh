#!/bin/sh
# Sourced by the device call scripts (after setup.sh, with $END, $L and left() defined):
#   start_resumable_runs <preset prefix> <data path> <epochs> <release tar folder> [attnzoo release train options]
# starts <prefix>-{sdpa,optimised,efficient,super} as one <epochs>-epoch schedule each, alternating
# between two GPUs (continuing the caller's counter i). Each run trains the epochs that end by $END
# less 40 s, checkpoints into data/ckpt/<preset> after every epoch and resumes from there, so a
# schedule longer than one call ends in the call where its last epoch fits (exit status 75 before).
# Checkpoints stay on a warm machine between calls; ckpt_tar brings them back for a cold one.
start_resumable_runs() {
  prefix=$1; data=$2; epochs=$3; tars=$4; shift 4
  for v in sdpa optimised efficient super; do
    M=$(awk "BEGIN { print ($(left) - 40) / 60 }")
    timeout $(( $(left) - 5 )) ../scripts/device/gpu.sh $(( i % 2 )) "$NODE" app/attnzoo.mjs release train $prefix-$v \
      --backend webgpu --data "$data" --epochs "$epochs" --checkpoints data/ckpt/$prefix-$v --resume \
      --time-limit-minutes "$M" --out work/$prefix-$v --tar "$tars/$prefix-$v.tar" \
      --summary $L/$prefix-$v.json "$@" > $L/$prefix-$v.log 2>&1 &
    i=$(( i + 1 ))
  done
}

# ckpt_tar <prefix> <tar folder> <file.tar>: the last checkpoint (pointer + folder) of each run of
# <prefix> that has not finished, packed for the next call.
ckpt_tar() {
  list=""
  for v in sdpa optimised efficient super; do
    d=data/ckpt/$1-$v
    if [ ! -f "$2/$1-$v.tar" ] && [ -f $d/last.json ]; then
      f=$(sed 's/.*"folder":"\([^"]*\)".*/\1/' $d/last.json)
      list="$list $1-$v/last.json $1-$v/$f"
    fi
  done
  [ -n "$list" ] && tar cf "$3" -C data/ckpt $list
}
