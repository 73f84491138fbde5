// Shape legend: N rows (tokens), V vocabulary size.
// The cross-entropy in composed tfjs ops, for backends with neither the WGSL kernels nor the host
// loops (cross-entropy.host.ts); the fused op (cross-entropy.op.ts) chooses. It has its own
// gradient (tf.customGrad) because tfjs's gather gradient needs UnsortedSegmentSum, which the wasm
// backend lacks; no one-hot tensor is built: the target entries are gathered and then overwritten with
// tensorScatterUpdate (kernels present on cpu, wasm and node).
import * as tf from '@tensorflow/tfjs';

/** Returns losses [N] = lossMask * (logsumexp(logits) - logits[target]) from stock tfjs ops; gradient flows to logits only. */
export function crossEntropyComposed(logits: tf.Tensor2D, targets: tf.Tensor1D, lossMask: tf.Tensor1D): tf.Tensor1D {
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
