/**
 * Shape legend: N elements of one parameter tensor.
 * The fused AdamW update of one parameter tensor in one dispatch: reads p, g, m, v and the global
 * gradient scale (a 1-element buffer computed on the GPU, so clipping needs no read-back), writes
 * p', m', v'. 256 invocations per workgroup, one element each; workgroups spread over x and y.
 */
import type { WgslProgram } from '../runtime';
import { workgroupGrid } from '../runtime';
import type { AdamWScalars, ResolvedAdamWConfig } from './adamw.reference';

/** Invocations per workgroup of the AdamW kernel. */
export const ADAMW_WORKGROUP_SIZE = 256;

/** Returns the AdamW program for a parameter of `shape` (decayFactor already 1 when not decayed). */
export function adamwProgram(
  shape: readonly number[],
  config: Pick<ResolvedAdamWConfig, 'beta1' | 'beta2' | 'epsilon'>,
  scalars: AdamWScalars,
  maxWorkgroupsPerDimension = 65535,
): WgslProgram {
  const N = shape.reduce((product, dimension) => product * dimension, 1);
  return {
    name: 'SteerLMAdamW',
    variant: 'f32',
    inputs: ['param', 'grad', 'firstMoment', 'secondMoment', 'gradScale'],
    outputs: [
      { name: 'paramOut', shape },
      { name: 'firstMomentOut', shape },
      { name: 'secondMomentOut', shape },
    ],
    uniforms: [
      { name: 'N', type: 'u32', value: N },
      { name: 'beta1', type: 'f32', value: config.beta1 },
      { name: 'beta2', type: 'f32', value: config.beta2 },
      { name: 'epsilon', type: 'f32', value: config.epsilon },
      { name: 'stepSize', type: 'f32', value: scalars.stepSize },
      { name: 'sqrtBiasCorrection2', type: 'f32', value: scalars.sqrtBiasCorrection2 },
      { name: 'decayFactor', type: 'f32', value: scalars.decayFactor },
    ],
    dispatch: workgroupGrid(Math.ceil(N / ADAMW_WORKGROUP_SIZE), maxWorkgroupsPerDimension),
    shapeIndependent: true,
    body: /* wgsl */ `
@compute @workgroup_size(${ADAMW_WORKGROUP_SIZE})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
  let i = (wid.x + wid.y * nwg.x) * ${ADAMW_WORKGROUP_SIZE}u + lid;
  if (i >= uniforms.N) { return; }
  let g = grad[i] * gradScale[0];
  let m = uniforms.beta1 * firstMoment[i] + (1.0 - uniforms.beta1) * g;
  let v = uniforms.beta2 * secondMoment[i] + (1.0 - uniforms.beta2) * g * g;
  let denominator = sqrt(v) / uniforms.sqrtBiasCorrection2 + uniforms.epsilon;
  paramOut[i] = param[i] * uniforms.decayFactor - uniforms.stepSize * m / denominator;
  firstMomentOut[i] = m;
  secondMomentOut[i] = v;
}`,
  };
}
