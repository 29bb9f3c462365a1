#!/bin/sh
# gpu.sh <index> <command...>: runs the command with only NVIDIA GPU <index> visible to Vulkan.
# Vulkan has no CUDA_VISIBLE_DEVICES and Dawn picks the first adapter; the NVIDIA driver exposes
# only the GPUs whose /dev/nvidiaN it can open (that is how containers get one GPU), so a private
# mount namespace covers the others with a device node that has no driver behind it.
# With one GPU, or GPU_ISOLATION=off, the command runs as it is; index n+k means GPU k.
g=$1
shift
n=$(ls /dev/nvidia[0-9]* 2>/dev/null | wc -l)
if [ "$n" -le 1 ] || [ "$GPU_ISOLATION" = off ]; then exec "$@"; fi
g=$(( g % n )) # more workers than GPUs: wrap around
[ -e /tmp/no-such-gpu ] || mknod /tmp/no-such-gpu c 1 200
exec unshare -m sh -c '
  g=$1; shift
  for d in /dev/nvidia[0-9]*; do [ "$d" = "/dev/nvidia$g" ] || mount --bind /tmp/no-such-gpu "$d"; done
  exec "$@"' sh "$g" "$@"
