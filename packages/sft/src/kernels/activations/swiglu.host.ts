// Shape legend: any shape, flattened; elementwise.
// SwiGLU for the host-side backends (cpu, wasm): silu(gate) · up in one loop forward and one backward
// over the tensors' memory (host-compute.ts), in place of the composed sigmoid and two products, their
// autodiff and the copies of their saved inputs on wasm.
import * as tf from '@tensorflow/tfjs';
import { hostCompute } from '../host/host-compute';

/** Returns silu(gate) · up for flat gate and up of one length, with its gradient in both. */
export function swigluHost(gate: tf.Tensor, up: tf.Tensor): tf.Tensor {
  const withGradient = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
    const [gates, ups] = args as [tf.Tensor, tf.Tensor];
    (args[2] as tf.GradSaveFunc)([gates, ups]);
    const size = gates.size;
    const [value] = hostCompute([gates, ups], [[size]], ([g, u], [out]) => {
      for (let i = 0; i < size; i++) {
        const x = g![i]!;
        out![i] = (x / (1 + Math.exp(-x))) * u![i]!;
      }
    });
    return {
      value: value!,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) =>
        // d gate = dy · up · σ(g) · (1 + g · (1 − σ(g))); d up = dy · g · σ(g).
        hostCompute([dy, saved[0]!, saved[1]!], [[size], [size]], ([upstream, g, u], [dGate, dUp]) => {
          for (let i = 0; i < size; i++) {
            const x = g![i]!;
            const s = 1 / (1 + Math.exp(-x));
            dGate![i] = upstream![i]! * u![i]! * s * (1 + x * (1 - s));
            dUp![i] = upstream![i]! * x * s;
          }
        }),
    };
  });
  return withGradient(gate, up);
}
