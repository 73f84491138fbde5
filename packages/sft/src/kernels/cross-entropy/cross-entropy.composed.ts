// Shape legend: N rows (tokens), V vocabulary size.
// The cross-entropy used on every backend without the WGSL kernels: host loops on cpu and wasm
// (cross-entropy.host.ts), composed tfjs ops elsewhere. The composed version has its own
// gradient (tf.customGrad) because tfjs's gather gradient needs UnsortedSegmentSum, which the wasm
// backend lacks; no one-hot tensor is built: the target entries are gathered and then overwritten with
// tensorScatterUpdate (kernels present on cpu, wasm and node).
import * as tf from '@tensorflow/tfjs';
import { crossEntropyHost } from './cross-entropy.host';

/** Backends whose tensors live in host memory, where one loop over the logits beats a chain of tfjs ops. */
const hostBackends = new Set(['cpu', 'wasm']);

/**
 * Returns losses [N] = lossMask * (logsumexp(logits) - logits[target]); gradient flows to logits only.
 * Host loops on cpu and wasm (cross-entropy.host.ts), stock tfjs ops otherwise.
 */
export function crossEntropyComposed(logits: tf.Tensor2D, targets: tf.Tensor1D, lossMask: tf.Tensor1D): tf.Tensor1D {
  if (hostBackends.has(tf.getBackend())) return crossEntropyHost(logits, targets, lossMask);
  const [rows, vocabulary] = logits.shape;
  const withGradient = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
    const [logitsInput, targetsInput, maskInput] = args as [tf.Tensor2D, tf.Tensor1D, tf.Tensor1D];
    const save = args[3] as tf.GradSaveFunc;
    const flatIndices = tf.add(tf.mul(tf.range(0, rows, 1, 'int32'), tf.scalar(vocabulary, 'int32')), targetsInput);
    const maximum = tf.max(logitsInput, -1, true);
    const logSumExp = tf.add(tf.log(tf.sum(tf.exp(tf.sub(logitsInput, maximum)), -1)), tf.reshape(maximum, [rows]));
    const targetLogits = tf.gather(tf.reshape(logitsInput, [-1]), flatIndices);
    const losses = tf.mul(tf.sub(logSumExp, targetLogits), maskInput);
    save([logitsInput, maskInput, flatIndices, logSumExp]);
    return {
      value: losses,
      gradFunc: (dlosses: tf.Tensor, saved: tf.Tensor[]) => {
        const [savedLogits, savedMask, savedIndices, savedLogSumExp] = saved as [tf.Tensor2D, tf.Tensor1D, tf.Tensor1D, tf.Tensor1D];
        const scale = tf.mul(savedMask, dlosses);
        const probabilities = tf.exp(tf.sub(savedLogits, tf.reshape(savedLogSumExp, [rows, 1])));
        const scaled = tf.reshape(tf.mul(probabilities, tf.reshape(scale, [rows, 1])), [-1]);
        const targetUpdates = tf.mul(tf.sub(tf.gather(tf.reshape(probabilities, [-1]), savedIndices), 1), scale);
        const dlogits = tf.reshape(tf.tensorScatterUpdate(scaled, tf.reshape(savedIndices, [rows, 1]), targetUpdates), [rows, vocabulary]);
        return [dlogits, tf.zeros([rows]), tf.zeros([rows])];
      },
    };
  });
  return withGradient(logits, targets, lossMask) as tf.Tensor1D;
}
