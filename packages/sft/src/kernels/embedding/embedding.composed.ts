// Shape legend: V vocabulary rows, C channels, N looked-up ids.
// The embedding in composed tfjs ops, for backends with neither the WGSL kernels nor the host version
// (embedding.host.ts): a gather, whose gradient (its own, tf.customGrad) is the backend's
// UnsortedSegmentSum of dy by ids, computed where the tensors live (no read-back).
import * as tf from '@tensorflow/tfjs';

/** Returns table[ids] [N, C] for table [V, C] and int32 ids [N], with dtable = `scatter(dy, ids)` as its only gradient. */
export function gatherRows(table: tf.Tensor2D, ids: tf.Tensor1D, scatter: (dy: tf.Tensor, ids: tf.Tensor1D) => tf.Tensor2D): tf.Tensor2D {
  const withGradient = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
    const [tableInput, idsInput] = args as [tf.Tensor2D, tf.Tensor1D];
    const save = args[2] as tf.GradSaveFunc;
    save([idsInput]);
    return {
      value: tf.gather(tableInput, idsInput),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const savedIds = saved[0]! as tf.Tensor1D;
        return [scatter(dy, savedIds), tf.zeros(savedIds.shape)];
      },
    };
  });
  return withGradient(table, ids) as tf.Tensor2D;
}

/** Returns table[ids] [N, C] for table [V, C] and int32 ids [N]; gradient flows to the table only. */
export function embeddingComposed(table: tf.Tensor2D, ids: tf.Tensor1D): tf.Tensor2D {
  const [vocabulary] = table.shape;
  return gatherRows(table, ids, (dy, savedIds) => tf.unsortedSegmentSum(dy, savedIds, vocabulary) as tf.Tensor2D);
}
