#!/bin/sh
# Prepares the GPU machine (an H200 with CUDA and PyTorch, no Node, no network) to run the bundled zoo. Source it from the
# repository root with the `.gl` and `.device` folders copied beside it (see scripts/device/README.md):
#   . scripts/device/setup.sh
# Afterwards the working folder is .device and $NODE runs the x86-64 node binary.
set -e
for f in .gl/*.deb; do dpkg -x "$f" /; done
ldconfig
# Dawn finds the NVIDIA Vulkan driver through the loader; EGL for the software/GL paths.
export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
export __EGL_VENDOR_LIBRARY_FILENAMES=/usr/local/nvidia/share/glvnd/egl_vendor.d/10_nvidia.json
cd .device
[ -x node ] || { xz -dc node.xz > node && chmod +x node; }
find app $([ -d data ] && echo data) -name '*.xz' -exec xz -d -f {} +
NODE="$PWD/node"
export NODE
set +e
