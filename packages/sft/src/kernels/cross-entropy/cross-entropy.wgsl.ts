// Shape legend: N rows (tokens), V vocabulary size.
// Forward: one workgroup per row (row = workgroup_id.x + workgroup_id.y * num_workgroups.x). Each
// invocation keeps an online (running max, running Σ exp(l - max)) pair over its strided vocabulary
// entries, so the logits are read once; the pairs are merged by a shared-memory tree, giving a
// max-subtracted log-sum-exp. The target logit is read directly (no one-hot). A target outside [0, V)
// yields a NaN loss (the op validates targets on the host whenever they are readable there).
// Backward: one invocation per logit over a flat 2-D grid, dlogits = (exp(l - lse) - [v = target]) ·
// mask · dloss, from the log-sum-exp saved by the forward pass.

import type { WgslProgram } from '../runtime/program';
import type { UniformField } from '../runtime/uniforms';
import { elementwiseMain, gridBuiltins, linearWorkgroup, workgroupGrid } from '../runtime';

function rowUniforms(rows: number, vocabulary: number): UniformField[] {
  return [
    { name: 'rows', type: 'u32', value: rows },
    { name: 'vocabulary', type: 'u32', value: vocabulary },
  ];
}

/** Invocations per workgroup in the cross-entropy kernels. */
export const crossEntropyWorkgroupSize = 256;

/** Returns the program computing losses [N] and logSumExp [N] from logits [N, V], targets [N], lossMask [N]. */
export function crossEntropyForwardProgram(rows: number, vocabulary: number): WgslProgram {
  const workgroupSize = crossEntropyWorkgroupSize;
  return {
    name: 'cross-entropy-forward',
    inputs: ['logits', 'targets', 'lossMask'],
    outputs: [
      { name: 'losses', shape: [rows] },
      { name: 'logSumExp', shape: [rows] },
    ],
    uniforms: rowUniforms(rows, vocabulary),
    dispatch: workgroupGrid(rows),
    shapeIndependent: true,
    body: /* wgsl */ `
const lowest = -3.0e38;
var<workgroup> maxima: array<f32, ${workgroupSize}>;
var<workgroup> sums: array<f32, ${workgroupSize}>;
@compute @workgroup_size(${workgroupSize})
fn main(${gridBuiltins}) {
  let row = ${linearWorkgroup};
  if (row >= uniforms.rows) { return; }
  let base = row * uniforms.vocabulary;
  var runningMax = lowest;
  var runningSum = 0.0;
  for (var v = local; v < uniforms.vocabulary; v = v + ${workgroupSize}u) {
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
    let targetIndex = targets[row];
    if (targetIndex < 0 || u32(targetIndex) >= uniforms.vocabulary) {
      // A NaN from runtime bits (a constant NaN is a WGSL compile error).
      losses[row] = bitcast<f32>(0x7fc00000u + min(uniforms.rows, 0u));
    } else {
      losses[row] = lossMask[row] * (lse - logits[base + u32(targetIndex)]);
    }
  }
}`,
  };
}

/**
 * Returns the program computing dlogits [N, V] from logits, targets, lossMask, the saved logSumExp and
 * dlosses [N]; `lossScaled` multiplies them by lossScale[0] (an input on the GPU: dynamic loss scaling).
 */
export function crossEntropyBackwardProgram(rows: number, vocabulary: number, lossScaled = false): WgslProgram {
  const workgroupSize = crossEntropyWorkgroupSize;
  return {
    name: 'cross-entropy-backward',
    ...(lossScaled ? { variant: 'loss-scaled' } : {}),
    inputs: ['logits', 'targets', 'lossMask', 'logSumExp', 'dlosses', ...(lossScaled ? ['lossScale'] : [])],
    outputs: [{ name: 'dlogits', shape: [rows, vocabulary] }],
    uniforms: rowUniforms(rows, vocabulary),
    dispatch: workgroupGrid(Math.ceil((rows * vocabulary) / workgroupSize)),
    shapeIndependent: true,
    body: /* wgsl */ `
${elementwiseMain(workgroupSize, 'uniforms.rows * uniforms.vocabulary')}
  let row = index / uniforms.vocabulary;
  let v = index - row * uniforms.vocabulary;
  let scale = lossMask[row] * dlosses[row]${lossScaled ? ' * lossScale[0]' : ''};
  let probability = exp(logits[index] - logSumExp[row]);
  let isTarget = i32(v) == targets[row];
  dlogits[index] = (probability - select(0.0, 1.0, isTarget)) * scale;
}`,
  };
}
