// Shape legend: N rows (tokens), C channels.
// The LayerNorm in composed tfjs ops (which tfjs differentiates), for backends with neither the WGSL
// kernel nor the host loops (layer-norm.host.ts); the fused op (layer-norm.op.ts) chooses.
import * as tf from '@tensorflow/tfjs';

/** Returns (x - mean) * rsqrt(var + eps) * weight + bias over the last axis (biased variance), from stock tfjs ops. */
export function layerNormComposed(x: tf.Tensor, weight: tf.Tensor, bias: tf.Tensor, eps: number): tf.Tensor {
  return tf.tidy(() => {
    const centred = tf.sub(x, tf.mean(x, -1, true));
    const inverseStd = tf.rsqrt(tf.add(tf.mean(tf.square(centred), -1, true), eps));
    return tf.add(tf.mul(tf.mul(centred, inverseStd), weight), bias);
  });
}
