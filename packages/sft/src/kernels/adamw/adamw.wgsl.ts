/**
 * Shape legend: k parameter tensors updated by one dispatch.
 * The fused multi-tensor AdamW update: reads p, g, m, v of each parameter and the step statistics
 * (a 4-element buffer computed on the GPU, so clipping and the finite check need no read-back),
 * writes p' and updates m, v in place. 256 invocations per workgroup, one element each; workgroups spread over x and y.
 */
import type { WgslProgram } from '../runtime';
import { halfStorageShape, TO_HALF_WGSL, workgroupGrid } from '../runtime';
import type { AdamWScalars, ResolvedAdamWConfig } from './adamw.reference';

/** Invocations per workgroup of the AdamW kernel. */
export const ADAMW_WORKGROUP_SIZE = 256;

/**
 * Returns the multi-tensor AdamW program: one dispatch updates `shapes.length` parameters (as many as
 * the device binds: 5 storage buffers each — p, g, m and v (m and v updated in place), p' — plus the
 * statistics). Workgroups are laid out parameter
 * after parameter (uniform `end<i>`: the first workgroup past parameter i). The gradient is scaled
 * by statistics[1] (global-norm clipping, computed on the GPU); when statistics[2] is 0 (the loss
 * or the norm was not finite) every value is written back unchanged: the step is skipped with no
 * read-back in between. Parameters flagged in `halfCopies` also get p' in packed f16 (output
 * `paramHalf<i>`: the f16 working copy the mixed-precision matmuls read; one more storage buffer each).
 */
export function adamwMultiProgram(
  shapes: ReadonlyArray<readonly number[]>,
  decayFactors: readonly number[],
  config: Pick<ResolvedAdamWConfig, 'beta1' | 'beta2' | 'epsilon'>,
  scalars: Pick<AdamWScalars, 'stepSize' | 'sqrtBiasCorrection2'>,
  maxWorkgroupsPerDimension = 65535,
  halfCopies: readonly boolean[] = [],
): WgslProgram {
  const halves = shapes.map((_, t) => halfCopies[t] === true);
  const sizes = shapes.map((shape) => shape.reduce((product, dimension) => product * dimension, 1));
  const ends: number[] = [];
  let total = 0;
  for (const size of sizes) {
    total += Math.ceil(size / ADAMW_WORKGROUP_SIZE);
    ends.push(total);
  }
  const branches = sizes
    .map(
      (_, t) => `if (w < uniforms.end${t}) {
    let i = (w - ${t === 0 ? '0u' : `uniforms.end${t - 1}`}) * ${ADAMW_WORKGROUP_SIZE}u + lid;
    if (i >= uniforms.n${t}) { return; }
    let p = param${t}[i];
    let m0 = firstMoment${t}[i];
    let v0 = secondMoment${t}[i];
    if (!apply) { paramOut${t}[i] = p;${halves[t] ? ` paramHalf${t}[i] = toHalf(p);` : ''} return; }
    let g = grad${t}[i] * scale;
    let m = uniforms.beta1 * m0 + (1.0 - uniforms.beta1) * g;
    let v = uniforms.beta2 * v0 + (1.0 - uniforms.beta2) * g * g;
    let updated = p * uniforms.decay${t} - uniforms.stepSize * m / (sqrt(v) / uniforms.sqrtBiasCorrection2 + uniforms.epsilon);
    paramOut${t}[i] = updated;${
      halves[t]
        ? `
    paramHalf${t}[i] = toHalf(updated);`
        : ''
    }
    firstMoment${t}[i] = m;
    secondMoment${t}[i] = v;
    return;
  }`,
    )
    .join('\n  ');
  return {
    name: 'SteerLMAdamWMulti',
    variant: 'f32',
    inputs: [...sizes.flatMap((_, t) => [`param${t}`, `grad${t}`, `firstMoment${t}`, `secondMoment${t}`]), 'statistics'],
    readWriteInputs: sizes.flatMap((_, t) => [`firstMoment${t}`, `secondMoment${t}`]),
    outputs: [
      ...shapes.map((shape, t) => ({ name: `paramOut${t}`, shape })),
      ...shapes.flatMap((shape, t) => (halves[t] ? [{ name: `paramHalf${t}`, shape: halfStorageShape(shape) }] : [])),
    ],
    ...(halves.some(Boolean) ? { enables: ['f16' as const], halfBindings: shapes.flatMap((_, t) => (halves[t] ? [`paramHalf${t}`] : [])) } : {}),
    uniforms: [
      { name: 'beta1', type: 'f32', value: config.beta1 },
      { name: 'beta2', type: 'f32', value: config.beta2 },
      { name: 'epsilon', type: 'f32', value: config.epsilon },
      { name: 'stepSize', type: 'f32', value: scalars.stepSize },
      { name: 'sqrtBiasCorrection2', type: 'f32', value: scalars.sqrtBiasCorrection2 },
      ...sizes.flatMap((size, t) => [
        { name: `n${t}`, type: 'u32' as const, value: size },
        { name: `end${t}`, type: 'u32' as const, value: ends[t]! },
        { name: `decay${t}`, type: 'f32' as const, value: decayFactors[t]! },
      ]),
    ],
    dispatch: workgroupGrid(total, maxWorkgroupsPerDimension),
    shapeIndependent: true,
    key: `k=${sizes.length}${halves.some(Boolean) ? `,half=${halves.map(Number).join('')}` : ''}`,
    body: /* wgsl */ `
${halves.some(Boolean) ? TO_HALF_WGSL : ''}
@compute @workgroup_size(${ADAMW_WORKGROUP_SIZE})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
  let w = wid.x + wid.y * nwg.x;
  let scale = statistics[1];
  let apply = statistics[2] != 0.0;
  ${branches}
}`,
  };
}
