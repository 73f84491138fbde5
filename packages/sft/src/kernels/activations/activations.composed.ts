// Shape legend: any shape; elementwise.
// Composed-tfjs activations used on every backend without the WGSL kernels; tfjs differentiates them
// (sigmoid, tanh, erf, mul, add have gradients on cpu, wasm, webgl and node).
import * as tf from '@tensorflow/tfjs';
import type { GeluApproximation } from './activations.reference';

/** Returns silu(gate) * up = gate * sigmoid(gate) * up from stock tfjs ops. */
export function swigluComposed(gate: tf.Tensor, up: tf.Tensor): tf.Tensor {
  return tf.tidy(() => tf.mul(tf.mul(gate, tf.sigmoid(gate)), up));
}

/** Returns gelu(x) (tanh approximation or exact erf): a host loop on cpu and wasm for tanh, stock tfjs ops otherwise. */
export function geluComposed(x: tf.Tensor, approximation: GeluApproximation): tf.Tensor {
  return tf.tidy(() => {
    if (approximation === 'erf') return tf.mul(tf.mul(x, 0.5), tf.add(tf.erf(tf.mul(x, Math.SQRT1_2)), 1));
    // x·x·x rather than pow(x, 3): Pow and its gradient (log, where) cost ~5x more on wasm.
    const cubic = tf.mul(tf.mul(tf.mul(x, x), x), 0.044715);
    const inner = tf.mul(tf.add(x, cubic), Math.sqrt(2 / Math.PI));
    return tf.mul(tf.mul(x, 0.5), tf.add(tf.tanh(inner), 1));
  });
}
