// Shape legend: N rows (tokens), C channels; x may have any leading shape [..., C] (flattened to [N, C]).
import * as tf from '@tensorflow/tfjs';
import { defineFusedOp, runProgram, runProgramOnTensors } from '../runtime';
import { checkNormParameter } from '../rms-norm/rms-norm.op';
import { layerNormComposed } from './layer-norm.composed';
import { layerNormHost } from './layer-norm.host';
import { layerNormBackwardInputProgram, layerNormBackwardParametersProgram, layerNormForwardProgram } from './layer-norm.wgsl';

interface LayerNormAttributes {
  eps: number;
}

const layerNormKernel = defineFusedOp<LayerNormAttributes>({
  name: 'SteerLMLayerNorm',
  inputNames: ['x', 'weight', 'bias'],
  outputCount: 3,
  webgpu: ([x, weight, bias], { eps }, backend) => runProgram(layerNormForwardProgram(x!.shape[0]!, x!.shape[1]!, eps), [x!, weight!, bias!], backend),
  host: ([x, weight, bias], { eps }) => [layerNormHost(x as tf.Tensor2D, weight as tf.Tensor1D, bias as tf.Tensor1D, eps)],
  fallback: ([x, weight, bias], { eps }) => [layerNormComposed(x!, weight!, bias!, eps)],
  gradient: ([dy], { inputs: [x, weight], outputs: [, rowMean, inverseStd] }) => {
    const [rows, channels] = x!.shape as [number, number];
    const [dx] = runProgramOnTensors(layerNormBackwardInputProgram(rows, channels), [x!, weight!, dy!, rowMean!, inverseStd!]);
    const [dweight, dbias] = runProgramOnTensors(layerNormBackwardParametersProgram(rows, channels), [x!, dy!, rowMean!, inverseStd!]);
    return [dx!, dweight!, dbias!];
  },
});

/**
 * Returns LayerNorm(x) = (x - mean) / sqrt(var + eps) * weight + bias over the last axis, shaped like
 * x [..., C]; differentiable in x, weight and bias (fused WGSL kernels on webgpu, composed tfjs elsewhere).
 */
export function layerNorm<T extends tf.Tensor>(x: T, weight: tf.Tensor, bias: tf.Tensor, eps = 1e-5): T {
  checkNormParameter('layerNorm', x, weight, 'weight');
  checkNormParameter('layerNorm', x, bias, 'bias');
  const channels = x.shape[x.rank - 1]!;
  return tf.tidy(() => {
    const [y] = layerNormKernel([tf.reshape(x, [-1, channels]), weight, bias], { eps });
    return tf.reshape(y!, x.shape) as T;
  });
}

/** Returns whether layerNorm runs its fused WGSL kernel on the active backend. */
export function layerNormUsesKernel(): boolean {
  return layerNormKernel.usesKernel();
}
