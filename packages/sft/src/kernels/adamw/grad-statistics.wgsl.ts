/**
 * Shape legend: k gradient tensors in one dispatch, W workgroups per tensor, P partial tensors.
 * The global gradient norm in two kinds of dispatch, with no read-back:
 * - sumOfSquaresProgram: k gradients (as many as the device binds) → partial sums of squares [k·W],
 *   W workgroups striding over each tensor;
 * - gradStatisticsProgram: every partial (one tensor per sum-of-squares dispatch) and the loss →
 *   gradNorm [] and statistics [4] = [norm, clip scale, finite (1 or 0), loss]. The clip scale is 0
 *   and finite is 0 when the norm or the loss is not finite, so the AdamW kernel leaves everything
 *   as it was: the step is skipped on the GPU and the trainer learns it from one read at the end.
 */
import { workgroupSumSource, type WgslProgram } from '../runtime';
import type { ResolvedLossScaleOptions } from './loss-scale';

/** Invocations per workgroup of both programs. */
const SIZE = 256;
/** Workgroups per gradient tensor in a sum-of-squares dispatch. */
export const SUM_OF_SQUARES_WORKGROUPS = 16;

/** WGSL of `nonFinite(x)`: true for ±inf and NaN (exponent bits all ones; no reliance on NaN comparisons). */
const NON_FINITE = /* wgsl */ `
fn nonFinite(x: f32) -> bool { return (bitcast<u32>(x) & 0x7f800000u) == 0x7f800000u; }`;

/** Returns the program summing the squares of `sizes.length` gradients into partials [k·W]. */
export function sumOfSquaresProgram(sizes: readonly number[]): WgslProgram {
  const k = sizes.length;
  const W = SUM_OF_SQUARES_WORKGROUPS;
  const branches = sizes
    .map(
      (_, t) => `if (t == ${t}u) {
    for (var i = wid.x * ${SIZE}u + local; i < uniforms.n${t}; i = i + ${W * SIZE}u) { let x = g${t}[i]; acc = fma(x, x, acc); }
  }`,
    )
    .join(' else ');
  return {
    name: 'SteerLMSumOfSquares',
    inputs: sizes.map((_, t) => `g${t}`),
    outputs: [{ name: 'partial', shape: [k * W] }],
    uniforms: sizes.map((size, t) => ({ name: `n${t}`, type: 'u32' as const, value: size })),
    dispatch: [W, k, 1],
    shapeIndependent: true,
    key: `k=${k},W=${W}`,
    body: /* wgsl */ `
${workgroupSumSource(SIZE)}
@compute @workgroup_size(${SIZE})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) local: u32) {
  let t = wid.y;
  var acc = 0.0;
  ${branches}
  let total = workgroupSum(local, acc);
  if (local == 0u) { partial[t * ${W}u + wid.x] = total; }
}`,
  };
}

/**
 * Returns the program reducing `partialSizes` partial tensors and the loss to gradNorm [] and
 * statistics [4]. With `lossScaling`, the gradients were multiplied by the scale in input
 * `lossScale` [scale, good steps] (loss-scale.ts): the norm is unscaled, the clip factor divided by
 * the scale (AdamW then sees unscaled gradients), statistics [7] adds [scale, next scale, good steps],
 * and `lossScale` is updated in place (backoff when not finite, growth after the interval).
 */
export function gradStatisticsProgram(partialSizes: readonly number[], maxGradNorm: number, lossScaling?: ResolvedLossScaleOptions): WgslProgram {
  const loops = partialSizes
    .map((_, index) => `for (var i = local; i < uniforms.n${index}; i = i + ${SIZE}u) { acc = acc + partial${index}[i]; }`)
    .join('\n  ');
  return {
    name: 'SteerLMGradStatistics',
    inputs: [...partialSizes.map((_, index) => `partial${index}`), 'loss', ...(lossScaling ? ['lossScale'] : [])],
    ...(lossScaling ? { readWriteInputs: ['lossScale'] } : {}),
    outputs: [
      { name: 'gradNorm', shape: [] },
      { name: 'statistics', shape: [lossScaling ? 7 : 4] },
    ],
    uniforms: [
      { name: 'maxGradNorm', type: 'f32', value: maxGradNorm },
      ...(lossScaling
        ? [
            { name: 'growthFactor', type: 'f32' as const, value: lossScaling.growthFactor },
            { name: 'backoffFactor', type: 'f32' as const, value: lossScaling.backoffFactor },
            { name: 'growthInterval', type: 'f32' as const, value: lossScaling.growthInterval },
          ]
        : []),
      ...partialSizes.map((size, index) => ({ name: `n${index}`, type: 'u32' as const, value: size })),
    ],
    dispatch: [1, 1, 1],
    shapeIndependent: true,
    key: `partials=${partialSizes.length}${lossScaling ? ',scaled' : ''}`,
    body: /* wgsl */ `
${workgroupSumSource(SIZE)}
${NON_FINITE}
@compute @workgroup_size(${SIZE})
fn main(@builtin(local_invocation_index) local: u32) {
  var acc = 0.0;
  ${loops}
  let sumOfSquares = workgroupSum(local, acc);
  if (local != 0u) { return; }
  ${lossScaling ? 'let scale = lossScale[0];' : 'let scale = 1.0;'}
  let norm = sqrt(sumOfSquares) / scale;
  let lossValue = loss[0];
  let finite = !nonFinite(sumOfSquares) && !nonFinite(lossValue);
  var clip = 1.0;
  if (uniforms.maxGradNorm > 0.0) { clip = min(1.0, uniforms.maxGradNorm / (norm + 1e-6)); }
  gradNorm[0] = norm;
  statistics[0] = norm;
  statistics[1] = select(0.0, clip / scale, finite);
  statistics[2] = select(0.0, 1.0, finite);
  statistics[3] = lossValue;${
    lossScaling
      ? `
  var next = scale * uniforms.backoffFactor;
  var good = 0.0;
  if (finite) {
    good = lossScale[1] + 1.0;
    next = scale;
    if (good >= uniforms.growthInterval) {
      good = 0.0;
      // Grow only while the scale stays finite in f32.
      if (!nonFinite(scale * uniforms.growthFactor)) { next = scale * uniforms.growthFactor; }
    }
  }
  statistics[4] = scale;
  statistics[5] = next;
  statistics[6] = good;
  lossScale[0] = next;
  lossScale[1] = good;`
      : ''
  }
}`,
  };
}
