// Shape legend: N rows (tokens), C channels; x may have any leading shape [..., C] (flattened to [N, C]).
import * as tf from '@tensorflow/tfjs';
import { ShapeError } from '@steerlm/core';
import { defineFusedOp, runProgram, runProgramOnTensors } from '../runtime';
import { rmsNormComposed } from './rms-norm.composed';
import { rmsNormHost } from './rms-norm.host';
import { rmsNormBackwardInputProgram, rmsNormBackwardWeightProgram, rmsNormForwardProgram } from './rms-norm.wgsl';

interface RmsNormAttributes {
  eps: number;
}

const rmsNormKernel = defineFusedOp<RmsNormAttributes>({
  name: 'SteerLMRmsNorm',
  inputNames: ['x', 'weight'],
  outputCount: 2,
  webgpu: ([x, weight], { eps }, backend) => runProgram(rmsNormForwardProgram(x!.shape[0]!, x!.shape[1]!, eps), [x!, weight!], backend),
  host: ([x, weight], { eps }) => [rmsNormHost(x as tf.Tensor2D, weight as tf.Tensor1D, eps)],
  fallback: ([x, weight], { eps }) => [rmsNormComposed(x!, weight!, eps)],
  gradient: ([dy], { inputs: [x, weight], outputs: [, inverseRms] }) => {
    const [rows, channels] = x!.shape as [number, number];
    const [dx] = runProgramOnTensors(rmsNormBackwardInputProgram(rows, channels), [x!, weight!, dy!, inverseRms!]);
    const [dweight] = runProgramOnTensors(rmsNormBackwardWeightProgram(rows, channels), [x!, dy!, inverseRms!]);
    return [dx!, dweight!];
  },
});

/** Returns nothing; throws ShapeError unless x is float32 [..., C] and `parameter` is float32 [C]. */
export function checkNormParameter(op: string, x: tf.Tensor, parameter: tf.Tensor, name: string): void {
  const channels = x.shape[x.rank - 1];
  if (x.rank < 1 || x.dtype !== 'float32') {
    throw new ShapeError(`${op}: x must be a float32 tensor [..., C], got ${x.dtype} [${x.shape.join(', ')}]`, { hint: 'cast x to float32' });
  }
  if (parameter.rank !== 1 || parameter.shape[0] !== channels || parameter.dtype !== 'float32') {
    throw new ShapeError(
      `${op}: ${name} must be float32 [${channels}] to match the last axis of x [${x.shape.join(', ')}], got ${parameter.dtype} [${parameter.shape.join(
        ', ',
      )}]`,
      { field: name, hint: `give one ${name} value per channel` },
    );
  }
}

/**
 * Returns RMSNorm(x) = x / sqrt(mean(x², last axis) + eps) * weight, shaped like x [..., C]; differentiable
 * in x and weight (fused WGSL kernels on webgpu, composed tfjs ops elsewhere).
 */
export function rmsNorm<T extends tf.Tensor>(x: T, weight: tf.Tensor, eps = 1e-6): T {
  checkNormParameter('rmsNorm', x, weight, 'weight');
  const channels = x.shape[x.rank - 1]!;
  return tf.tidy(() => {
    const [y] = rmsNormKernel([tf.reshape(x, [-1, channels]), weight], { eps });
    return tf.reshape(y!, x.shape) as T;
  });
}

/** Returns whether rmsNorm runs its fused WGSL kernel on the active backend. */
export function rmsNormUsesKernel(): boolean {
  return rmsNormKernel.usesKernel();
}
