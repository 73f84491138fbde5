// Shape legend: N rows (tokens), V vocabulary size.
// Softmax cross-entropy for the host-side backends (cpu, wasm): the forward is one loop over the
// logits that also keeps exp(logit - max) and 1 / Σ exp per row, so the backward is one loop with no
// exp at all. It replaces the composed version's taped tfjs ops (max, exp, sum, log, gather and, in
// the backward, exp again and a scatter), each of which also copies its saved inputs on wasm.
import * as tf from '@tensorflow/tfjs';
import { acquireBuffer, borrowValues, outputBuffer, releaseBuffer } from '../host';

/** Returns losses [N] = lossMask · (logsumexp(logits) - logits[target]) computed on the host; gradient flows to logits only. */
export function crossEntropyHost(logits: tf.Tensor2D, targets: tf.Tensor1D, lossMask: tf.Tensor1D): tf.Tensor1D {
  const withGradient = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
    const [logitsInput, targetsInput, maskInput] = args as [tf.Tensor2D, tf.Tensor1D, tf.Tensor1D];
    const [rows, vocabulary] = logitsInput.shape;
    const values = borrowValues(logitsInput);
    const targetIds = targetsInput.dataSync();
    const mask = maskInput.dataSync() as Float32Array;
    const exponentials = acquireBuffer(rows * vocabulary);
    const inverseSums = new Float64Array(rows);
    const losses = outputBuffer(rows);
    for (let row = 0; row < rows; row++) {
      const start = row * vocabulary;
      let max = -Infinity;
      for (let v = 0; v < vocabulary; v++) {
        const value = values[start + v]!;
        if (value > max || Number.isNaN(value)) max = value;
      }
      let sum = 0;
      for (let v = 0; v < vocabulary; v++) {
        const exponential = Math.exp(values[start + v]! - max);
        exponentials[start + v] = exponential;
        sum += exponential;
      }
      inverseSums[row] = 1 / sum;
      const logSumExp = Math.log(sum) + max;
      losses[row] = (logSumExp - values[start + targetIds[row]!]!) * mask[row]!;
    }
    return {
      value: tf.tensor1d(losses),
      gradFunc: (dlosses: tf.Tensor) => {
        // dlogits = lossMask · dloss · (softmax - onehot(target)).
        const upstream = dlosses.dataSync() as Float32Array;
        const dlogits = outputBuffer(rows * vocabulary);
        for (let row = 0; row < rows; row++) {
          const start = row * vocabulary;
          const scale = mask[row]! * upstream[row]!;
          const factor = scale * inverseSums[row]!;
          for (let v = 0; v < vocabulary; v++) dlogits[start + v] = exponentials[start + v]! * factor;
          dlogits[start + targetIds[row]!] = (exponentials[start + targetIds[row]!]! * inverseSums[row]! - 1) * scale;
        }
        releaseBuffer(exponentials);
        return [tf.tensor2d(dlogits, [rows, vocabulary]), tf.zeros([rows]), tf.zeros([rows])];
      },
    };
  });
  return withGradient(logits, targets, lossMask) as tf.Tensor1D;
}
