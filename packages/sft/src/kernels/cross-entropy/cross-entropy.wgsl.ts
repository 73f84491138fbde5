// Shape legend: N rows (tokens), V vocabulary size.
// Bindings: inputs (read-only storage) first, then outputs (read_write storage), then `params` (uniform).
// Forward: one workgroup per row (row = workgroup_id.x + workgroup_id.y * num_workgroups.x). Each
// invocation keeps an online (running max, running Σ exp(l - max)) pair over its strided vocabulary
// entries, so the logits are read once; the pairs are merged by a shared-memory tree, giving a
// max-subtracted log-sum-exp. The target logit is read directly (no one-hot). A target outside [0, V)
// yields a NaN loss (the op validates targets on the host whenever they are readable there).
// Backward: one invocation per logit over a flat 2-D grid, dlogits = (exp(l - lse) - [v = target]) ·
// mask · dloss, from the log-sum-exp saved by the forward pass.

/** Invocations per workgroup in the cross-entropy kernels. */
export const crossEntropyWorkgroupSize = 256;

/** Returns the WGSL computing losses [N] and logSumExp [N] from logits [N, V], targets [N], lossMask [N]. */
export function crossEntropyForwardSource(workgroupSize = crossEntropyWorkgroupSize): string {
  return /* wgsl */ `
struct Params { rows: u32, vocabulary: u32, pad0: u32, pad1: u32 }
@group(0) @binding(0) var<storage, read> logits: array<f32>;
@group(0) @binding(1) var<storage, read> targets: array<i32>;
@group(0) @binding(2) var<storage, read> lossMask: array<f32>;
@group(0) @binding(3) var<storage, read_write> losses: array<f32>;
@group(0) @binding(4) var<storage, read_write> logSumExp: array<f32>;
@group(0) @binding(5) var<uniform> params: Params;
const lowest = -3.0e38;
var<workgroup> maxima: array<f32, ${workgroupSize}>;
var<workgroup> sums: array<f32, ${workgroupSize}>;
@compute @workgroup_size(${workgroupSize})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) local: u32) {
  let row = wid.x + wid.y * nwg.x;
  if (row >= params.rows) { return; }
  let base = row * params.vocabulary;
  var runningMax = lowest;
  var runningSum = 0.0;
  for (var v = local; v < params.vocabulary; v = v + ${workgroupSize}u) {
    let value = logits[base + v];
    if (value > runningMax) {
      runningSum = runningSum * exp(runningMax - value) + 1.0;
      runningMax = value;
    } else {
      runningSum = runningSum + exp(value - runningMax);
    }
  }
  maxima[local] = runningMax;
  sums[local] = runningSum;
  workgroupBarrier();
  for (var stride = ${workgroupSize / 2}u; stride > 0u; stride = stride >> 1u) {
    if (local < stride) {
      let otherMax = maxima[local + stride];
      let merged = max(maxima[local], otherMax);
      sums[local] = sums[local] * exp(maxima[local] - merged) + sums[local + stride] * exp(otherMax - merged);
      maxima[local] = merged;
    }
    workgroupBarrier();
  }
  if (local == 0u) {
    let lse = maxima[0] + log(sums[0]);
    logSumExp[row] = lse;
    let target = targets[row];
    if (target < 0 || u32(target) >= params.vocabulary) {
      losses[row] = bitcast<f32>(0x7fc00000u);
    } else {
      losses[row] = lossMask[row] * (lse - logits[base + u32(target)]);
    }
  }
}`;
}

/** Returns the WGSL computing dlogits [N, V] from logits, targets, lossMask, the saved logSumExp and dlosses [N]. */
export function crossEntropyBackwardSource(workgroupSize = crossEntropyWorkgroupSize): string {
  return /* wgsl */ `
struct Params { rows: u32, vocabulary: u32, pad0: u32, pad1: u32 }
@group(0) @binding(0) var<storage, read> logits: array<f32>;
@group(0) @binding(1) var<storage, read> targets: array<i32>;
@group(0) @binding(2) var<storage, read> lossMask: array<f32>;
@group(0) @binding(3) var<storage, read> logSumExp: array<f32>;
@group(0) @binding(4) var<storage, read> dlosses: array<f32>;
@group(0) @binding(5) var<storage, read_write> dlogits: array<f32>;
@group(0) @binding(6) var<uniform> params: Params;
@compute @workgroup_size(${workgroupSize})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) local: u32) {
  let index = (wid.x + wid.y * nwg.x) * ${workgroupSize}u + local;
  if (index >= params.rows * params.vocabulary) { return; }
  let row = index / params.vocabulary;
  let v = index - row * params.vocabulary;
  let scale = lossMask[row] * dlosses[row];
  let probability = exp(logits[index] - logSumExp[row]);
  let isTarget = i32(v) == targets[row];
  dlogits[index] = (probability - select(0.0, 1.0, isTarget)) * scale;
}`;
}
