// Shape legend: any shape; elementwise.
// GELU (tanh approximation) for the host-side backends (cpu, wasm): one loop forward and one loop
// backward over Float32Arrays, in place of the composed version's ten taped tfjs ops (each of which
// also copies its saved inputs on wasm). tanh is a rational approximation accurate to 3e-8 absolute
// (the one Eigen and XNNPACK use), ~5x faster than Math.tanh or tfjs-wasm's Tanh kernel.
import * as tf from '@tensorflow/tfjs';
import { acquireBuffer, borrowValues, outputBuffer, readInto, releaseBuffer } from '../host';

const SQRT_2_OVER_PI = Math.sqrt(2 / Math.PI);
const CUBIC = 0.044715;
/** Beyond this |x| the rational fit is not used (Math.tanh is, and rounds to ±1 in float32 soon after). */
const TANH_FIT_LIMIT = 7.90531110763549805;

/** Returns tanh(x) within 3e-8 absolute: a [13/6] rational fit on |x| <= 7.905, Math.tanh beyond. */
export function fastTanh(x: number): number {
  if (x > TANH_FIT_LIMIT || x < -TANH_FIT_LIMIT) return Math.tanh(x);
  const x2 = x * x;
  let p = x2 * -2.76076847742355e-16 + 2.00018790482477e-13;
  p = p * x2 + -8.60467152213735e-11;
  p = p * x2 + 5.12229709037114e-8;
  p = p * x2 + 1.48572235717979e-5;
  p = p * x2 + 6.37261928875436e-4;
  p = p * x2 + 4.89352455891786e-3;
  let q = x2 * 1.19825839466702e-6 + 1.18534705686654e-4;
  q = q * x2 + 2.268434632439e-3;
  q = q * x2 + 4.89352518554385e-3;
  return (p * x) / q;
}

/** Returns gelu(x) = 0.5x(1 + tanh(√(2/π)(x + 0.044715x³))) computed on the host, with its gradient. */
export function geluTanhHost(x: tf.Tensor): tf.Tensor {
  const withGradient = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
    const input = args[0] as tf.Tensor;
    const size = input.size;
    const values = readInto(input, acquireBuffer(size));
    const out = outputBuffer(size);
    const tanhs = acquireBuffer(size);
    for (let index = 0; index < size; index++) {
      const value = values[index]!;
      const tanh = fastTanh(SQRT_2_OVER_PI * (value + CUBIC * value * value * value));
      tanhs[index] = tanh;
      out[index] = 0.5 * value * (1 + tanh);
    }
    return {
      value: tf.tensor(out, input.shape),
      gradFunc: (dy: tf.Tensor) => {
        const upstream = borrowValues(dy);
        const dx = outputBuffer(size);
        for (let index = 0; index < size; index++) {
          const value = values[index]!;
          const tanh = tanhs[index]!;
          const inner = SQRT_2_OVER_PI * (1 + 3 * CUBIC * value * value);
          dx[index] = upstream[index]! * (0.5 * (1 + tanh) + 0.5 * value * (1 - tanh * tanh) * inner);
        }
        releaseBuffer(values, tanhs);
        return [tf.tensor(dx, input.shape)];
      },
    };
  });
  return withGradient(x);
}
