#!/usr/bin/env bash
# The training step on the lent GPU, ours and PyTorch's in one run (docs/benchmarks.md, "On a GPU"):
#   1. our gpt2s step (bench:step on webgpu: Dawn on the NVIDIA Vulkan driver), with dispatch counts,
#      the backend report (subgroup-matrix self-test) and a check that every WGSL program compiled;
#   2. our tiny step, the same way, with --profile (GPU timestamp queries per kernel);
#   3. PyTorch's gpt2s step (bench/pytorch/bench_step.py: fp32, TF32, bf16) and its 4096³ matmuls —
#      run whatever happened in 1 and 2;
#   4. our 4096³ matmul per variant (tiled-f32, tiled-f16, subgroup-matrix-f16: the 128×128 tensor-core
#      GEMM, f16 operands and f32 accumulation), read-back not timed, and its speed-up over tiled-f16;
#   5. the summary: ours / torch per mode, and every failed phase or Dawn error named.
# Every phase has its own timeout; the phases add up to at most ~9 minutes (setup included), inside
# the 10 minutes of device time a run may take.
#
# Here, once (this machine has Node and the packages; the GPU machine has neither):
#   bash bench/device/run-step.sh --bundle    # device-prep (.device/: node, Vulkan loader, Dawn) + .device/bench-step.mjs
# Then with the device tool, carry [".device"], timeout_s 600, command:
#   bash bench/device/run-step.sh
# Environment: STEPS (timed gpt2s steps, default 5), SKIP_OURS=1 (PyTorch only), MIXED=1 (also our
# gpt2s step in mixed precision, --precision mixed: one more phase of at most 120 s; skip the matmul
# phases with it, e.g. a second run with SKIP_MATMUL=1 MIXED=1, to stay inside 10 minutes).
set -uo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$root"
if [ "${1:-}" = "--bundle" ]; then
  set -e
  if [ ! -s .device/node.xz ] || [ ! -s .device/device-env.sh ]; then
    prep=""
    for candidate in "${DEVICE_PREP:-}" "$root/shared/scripts/device-prep.sh" "$root/../shared/scripts/device-prep.sh" "$root/../../shared/scripts/device-prep.sh"; do
      if [ -n "$candidate" ] && [ -x "$candidate" ]; then prep=$candidate; break; fi
    done
    [ -n "$prep" ] || { echo "device-prep.sh not found: set DEVICE_PREP=/path/to/device-prep.sh" >&2; exit 2; }
    # device-prep.sh writes .git/info/exclude, so it needs a clone whose .git is a directory (not a worktree).
    [ -d .git ] || { echo "device-prep.sh needs a clone with a .git directory; in a git worktree run it from the main checkout and copy .device here" >&2; exit 2; }
    "$prep"
  fi
  npx turbo run build --filter=@steerlm/sft --output-logs=errors-only
  npx esbuild bench/src/bench-step.ts --bundle --platform=node --format=esm --target=es2022 \
    --external:webgpu --external:@huggingface/transformers --external:onnxruntime-node \
    --banner:js="import { createRequire as __steerlmCreateRequire } from 'module'; const require = __steerlmCreateRequire(import.meta.url);" \
    --outfile=.device/bench-step.mjs --log-level=warning
  ls -la .device/bench-step.mjs
  du -sh .device
  exit 0
fi
[ -s .device/bench-step.mjs ] || { echo "run 'bash bench/device/run-step.sh --bundle' here first, then carry .device" >&2; exit 2; }
started=$SECONDS
log=$(mktemp -d)
failures=()
# phase NAME SECONDS COMMAND...: runs COMMAND with a timeout, output to the terminal and $log/NAME.
phase() {
  local name=$1 limit=$2
  shift 2
  echo "=== $name (timeout ${limit}s, at $((SECONDS - started))s)"
  timeout --kill-after=10 "$limit" "$@" > >(tee "$log/$name") 2>&1
  local rc=$?
  sleep 0.2
  if [ $rc -ne 0 ]; then
    failures+=("$name: exit $rc$([ $rc -eq 124 ] && echo ' (timed out)')")
  fi
  return 0
}
phase setup 90 bash -c 'source .device/device-env.sh && node --version'
source .device/device-env.sh >/dev/null 2>&1
steps=${STEPS:-5}
if [ "${SKIP_OURS:-}" != "1" ]; then
  phase ours-gpt2s 200 node .device/bench-step.mjs --shape gpt2s --backend webgpu --steps "$steps" --warmup 2
  phase ours-tiny 60 node .device/bench-step.mjs --shape tiny --backend webgpu --steps 5 --warmup 2 --profile
  [ "${MIXED:-}" = "1" ] && phase ours-gpt2s-mixed 120 node .device/bench-step.mjs --shape gpt2s --backend webgpu --steps "$steps" --warmup 2 --precision mixed
fi
phase torch 150 python3 bench/pytorch/bench_step.py --shape gpt2s --steps 20 --warmup 5 --matmul 4096
if [ "${SKIP_OURS:-}" != "1" ] && [ "${SKIP_MATMUL:-}" != "1" ]; then
  for variant in tiled-f32 tiled-f16 subgroup-matrix-f16; do
    phase "matmul-$variant" 30 node .device/bench-step.mjs --backend webgpu --matmul 4096 --variant "$variant" --steps 10
  done
fi

echo "=== summary ($((SECONDS - started))s)"
# Every WGSL program compiled and Dawn reported no error (bench-step prints shaders_compiled=ok after checking).
for name in ours-gpt2s ours-tiny ours-gpt2s-mixed; do
  [ -f "$log/$name" ] || continue
  grep -h '^backend \|^matmul self-test\|^dispatches_per_step=' "$log/$name" | sed "s/^/$name: /"
  grep -q '^shaders_compiled=ok' "$log/$name" || failures+=("$name: no shaders_compiled=ok line (a WGSL program failed to compile or the run stopped early)")
done
if grep -l -i 'failed to compile\|validation error\|Dawn.*error\|uncaptured' "$log"/* >/dev/null 2>&1; then
  failures+=("Dawn reported errors in: $(grep -l -i 'failed to compile\|validation error\|Dawn.*error\|uncaptured' "$log"/* | xargs -n1 basename | tr '\n' ' ')")
fi
ours=$(grep -h '^tokens_per_s=' "$log/ours-gpt2s" 2>/dev/null | tail -1)
ours_ms=$(sed -n 's/.*ms_per_step=\([0-9.]*\).*/\1/p' <<<"$ours")
echo "ours gpt2s (webgpu): ${ours:-not measured}"
grep -h '^tokens_per_s=' "$log/ours-tiny" 2>/dev/null | sed 's/^/ours tiny (webgpu): /'
grep -h '^precision \|^tokens_per_s=' "$log/ours-gpt2s-mixed" 2>/dev/null | sed 's/^/ours gpt2s mixed (webgpu): /'
grep -h '^mode=' "$log/torch" 2>/dev/null | while read -r line; do
  torch_ms=$(sed -n 's/.*ms_per_step=\([0-9.]*\).*/\1/p' <<<"$line")
  if [ -n "$ours_ms" ] && [ -n "$torch_ms" ]; then
    ratio=$(python3 -c "import sys; print(f'{float(sys.argv[1]) / float(sys.argv[2]):.2f}')" "$ours_ms" "$torch_ms")
    echo "torch $line  ->  ours / torch = ${ratio}x the step time"
  else
    echo "torch $line"
  fi
done
grep -h '^matmul=' "$log/torch" 2>/dev/null | sed 's/^/torch /'
cat "$log"/matmul-* 2>/dev/null | grep '^matmul=' | sed 's/^/ours /'
grep -h 'subgroup-matrix GEMM self-test' "$log/matmul-subgroup-matrix-f16" 2>/dev/null | sed 's/^/matmul-subgroup-matrix-f16: /'
tiled_tflops=$(sed -n 's/^matmul=tiled-f16 .*tflops=\([0-9.]*\).*/\1/p' "$log/matmul-tiled-f16" 2>/dev/null | tail -1)
mma_tflops=$(sed -n 's/^matmul=subgroup-matrix-f16 .*tflops=\([0-9.]*\).*/\1/p' "$log/matmul-subgroup-matrix-f16" 2>/dev/null | tail -1)
if [ -n "$tiled_tflops" ] && [ -n "$mma_tflops" ]; then
  echo "matmul 4096³ f16: subgroup-matrix-f16 ${mma_tflops} TFLOP/s vs tiled-f16 ${tiled_tflops} TFLOP/s = $(python3 -c "import sys; print(f'{float(sys.argv[1]) / float(sys.argv[2]):.1f}')" "$mma_tflops" "$tiled_tflops")x (goal: 200 TFLOP/s)"
fi
if [ ${#failures[@]} -gt 0 ]; then
  printf 'FAILED: %s\n' "${failures[@]}"
  exit 1
fi
echo "all phases passed"
