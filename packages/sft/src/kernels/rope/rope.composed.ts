// Shape legend: B batch, H heads, T time steps, D head dimension (even); pairs (i, i + D/2) rotate together.
// The composed-tfjs rotary embedding used on every backend without the WGSL kernel; tfjs differentiates
// it (slice, concat, mul, sub, add). The angles are the float32 product position · inverseFrequency,
// as in HF and in the WGSL kernel.
import * as tf from '@tensorflow/tfjs';

/** Returns x [B, H, T, D] rotated by positions [B, T] (int32) · inverseFrequencies [D/2], from stock tfjs ops. */
export function ropeComposed(x: tf.Tensor4D, positions: tf.Tensor2D, inverseFrequencies: tf.Tensor1D): tf.Tensor4D {
  return tf.tidy(() => {
    const [batch, , time, headDimension] = x.shape;
    const half = headDimension / 2;
    const angles = tf.mul(tf.reshape(tf.cast(positions, 'float32'), [batch, 1, time, 1]), tf.reshape(inverseFrequencies, [1, 1, 1, half]));
    const cosine = tf.cos(angles);
    const sine = tf.sin(angles);
    const [first, second] = tf.split(x, 2, 3);
    return tf.concat([tf.sub(tf.mul(first!, cosine), tf.mul(second!, sine)), tf.add(tf.mul(second!, cosine), tf.mul(first!, sine))], 3) as tf.Tensor4D;
  });
}
