// Shape legend: N rows (tokens), C channels.
// The LayerNorm used on every backend without the WGSL kernel: host loops on cpu and wasm, composed
// tfjs ops (which tfjs differentiates) elsewhere.
import * as tf from '@tensorflow/tfjs';
import { layerNormHost } from './layer-norm.host';

/** Backends whose tensors live in host memory, where a loop over the rows beats a chain of tfjs ops. */
const hostBackends = new Set(['cpu', 'wasm']);

/**
 * Returns (x - mean) * rsqrt(var + eps) * weight + bias over the last axis (biased variance): host
 * loops on cpu and wasm for x [N, C] (layer-norm.host.ts), stock tfjs ops otherwise.
 */
export function layerNormComposed(x: tf.Tensor, weight: tf.Tensor, bias: tf.Tensor, eps: number): tf.Tensor {
  if (x.rank === 2 && hostBackends.has(tf.getBackend())) return layerNormHost(x as tf.Tensor2D, weight as tf.Tensor1D, bias as tf.Tensor1D, eps);
  return tf.tidy(() => {
    const centred = tf.sub(x, tf.mean(x, -1, true));
    const inverseStd = tf.rsqrt(tf.add(tf.mean(tf.square(centred), -1, true), eps));
    return tf.add(tf.mul(tf.mul(centred, inverseStd), weight), bias);
  });
}
