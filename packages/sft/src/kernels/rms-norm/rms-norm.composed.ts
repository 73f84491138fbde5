// Shape legend: N rows (tokens), C channels.
// The composed-tfjs RMSNorm used on every backend without the WGSL kernel (cpu, wasm, webgl, node);
// tfjs differentiates it (square, mean, rsqrt, mul all have gradients on every backend).
import * as tf from '@tensorflow/tfjs';

/** Returns x * rsqrt(mean(x², last axis) + eps) * weight for x [N, C], weight [C], built from stock tfjs ops. */
export function rmsNormComposed(x: tf.Tensor, weight: tf.Tensor, eps: number): tf.Tensor {
  return tf.tidy(() => {
    const inverseRms = tf.rsqrt(tf.add(tf.mean(tf.square(x), -1, true), eps));
    return tf.mul(tf.mul(x, inverseRms), weight);
  });
}
