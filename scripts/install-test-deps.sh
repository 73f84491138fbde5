#!/usr/bin/env bash
# The system packages the test suite needs beyond Node.js (Debian 12, as root): Mesa's lavapipe so the
# WebGPU (WGSL) kernels run on the CPU, and Debian's Chromium for the playground's browser test.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
bash "$here/install-webgpu-cpu.sh"
bash "$here/install-chromium.sh"
