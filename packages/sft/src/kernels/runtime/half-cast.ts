/**
 * Shape legend: N elements.
 * f32 → packed f16 storage: castToHalf(x) returns a float32 tensor of halfStorageShape(x.shape)
 * holding x rounded to f16 (NaN where x is out of the f16 range or not finite; see TO_HALF_WGSL),
 * one dispatch on webgpu with shader-f16. The mixed-precision trainer makes the first f16 working
 * copies of the weights with it; later copies come from the AdamW kernel that updates the masters.
 */
import * as tf from '@tensorflow/tfjs';
import { BackendError } from '@steerlm/core';
import { elementwiseMain, workgroupGrid } from './dispatch';
import { halfStorageShape, TO_HALF_WGSL } from './precision';
import type { WgslProgram } from './program';
import { runProgramOnTensors } from './run-program';
import { getWebGPUBackend, webgpuFeatures } from './webgpu-context';

const SIZE = 256;

/** Returns the program writing N f32 values of `x` as packed f16 into `half` [ceil(N/2)]. */
export function castToHalfProgram(size: number, maxWorkgroupsPerDimension?: number): WgslProgram {
  return {
    name: 'SteerLMCastToHalf',
    inputs: ['x'],
    outputs: [{ name: 'half', shape: halfStorageShape([size]) }],
    halfBindings: ['half'],
    enables: ['f16'],
    uniforms: [{ name: 'N', type: 'u32', value: size }],
    dispatch: workgroupGrid(Math.ceil(size / SIZE), maxWorkgroupsPerDimension),
    shapeIndependent: true,
    body: /* wgsl */ `
${TO_HALF_WGSL}
${elementwiseMain(SIZE, 'uniforms.N')}
  half[index] = toHalf(x[index]);
}`,
  };
}

/** Returns the packed f16 copy of the float32 tensor `x` (webgpu with shader-f16 only). */
export function castToHalf(x: tf.Tensor): tf.Tensor {
  if (tf.getBackend() !== 'webgpu' || !webgpuFeatures().hasF16 || x.dtype !== 'float32') {
    throw new BackendError(`castToHalf needs a float32 tensor on a webgpu device with shader-f16 (got ${x.dtype} on ${tf.getBackend()})`, {
      backend: tf.getBackend(),
      hint: 'resolvePrecision() says when mixed precision is available',
    });
  }
  const maxGroups = getWebGPUBackend().device.limits.maxComputeWorkgroupsPerDimension;
  return runProgramOnTensors(castToHalfProgram(x.size, maxGroups), [x])[0]!;
}
