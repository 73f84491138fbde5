#!/usr/bin/env bash
# The gpt2s training step on the lent GPU: ours (bench:step on webgpu, Dawn on the NVIDIA Vulkan
# driver) and PyTorch (fp32, TF32, bf16 autocast) in one run, then the ratio; plus matmul alone at
# 4096³ (fp32 and f16, ours vs torch).
#
# Here, first (this machine has Node and the packages; the GPU machine has neither):
#   ../shared/scripts/device-prep.sh          # .device/: node.xz, Vulkan loader, webgpu (Dawn)
#   bench/device/run-step.sh --bundle         # .device/bench-step.mjs: bench:step with everything but webgpu bundled
# Then with the device tool, carry [".device"], command:
#   bash bench/device/run-step.sh
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$root"
if [ "${1:-}" = "--bundle" ]; then
  npx turbo run build --filter=@steerlm/sft --output-logs=errors-only
  npx esbuild bench/src/bench-step.ts --bundle --platform=node --format=esm --target=es2022 \
    --external:webgpu --external:@huggingface/transformers --external:onnxruntime-node \
    --banner:js="import { createRequire as __steerlmCreateRequire } from 'module'; const require = __steerlmCreateRequire(import.meta.url);" \
    --outfile=.device/bench-step.mjs --log-level=warning
  ls -la .device/bench-step.mjs
  exit 0
fi
[ -s .device/bench-step.mjs ] || { echo "run bench/device/run-step.sh --bundle here first" >&2; exit 2; }
source .device/device-env.sh
steps=${STEPS:-10}
ours=$(node .device/bench-step.mjs --shape gpt2s --backend webgpu --steps "$steps" --warmup 3 2>&1 | tee /dev/stderr | tail -1)
torch_out=$(python3 bench/pytorch/bench_step.py --shape gpt2s --steps 20 --warmup 5 --matmul 4096 2>&1 | tee /dev/stderr)
for variant in tiled-f32 tiled-f16 subgroup-matrix-f16; do
  node .device/bench-step.mjs --backend webgpu --matmul 4096 --variant "$variant" --steps 10 2>&1 | tail -1 || echo "matmul=$variant failed"
done
ours_ms=$(sed -n 's/.*ms_per_step=\([0-9.]*\).*/\1/p' <<<"$ours")
echo "ours (webgpu, fp32): $ours"
grep '^mode=' <<<"$torch_out" | while read -r line; do
  torch_ms=$(sed -n 's/.*ms_per_step=\([0-9.]*\).*/\1/p' <<<"$line")
  ratio=$(python3 -c "print(f'{float(\"$ours_ms\") / float(\"$torch_ms\"):.2f}')")
  echo "torch $line  ->  ours / torch = ${ratio}x the step time"
done
grep '^matmul=' <<<"$torch_out" | sed 's/^/torch /'
