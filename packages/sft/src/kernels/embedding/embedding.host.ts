// Shape legend: V vocabulary rows, C channels, N looked-up ids.
// The embedding on the host-side backends (cpu, wasm). Its gradient is its own (tf.customGrad): tfjs's
// gather gradient needs UnsortedSegmentSum, which the wasm backend lacks (and whose cpu kernel loops
// over all V segments for every id), and a one-hot matmul would cost O(V·N) memory. dy and ids are read
// on the host and their rows added into a dense [V, C] buffer in ascending n (float64 sums): O(N·C)
// work, O(V·C) memory (the size of dtable), deterministic.
import * as tf from '@tensorflow/tfjs';

/** Returns the dtable [V, C] of dy [N, C] scattered by ids [N] (rows summed in ascending n, in float64). */
export function scatterAddRows(dy: Float32Array, ids: ArrayLike<number>, vocabulary: number, channels: number): Float32Array {
  const sums = new Float64Array(vocabulary * channels);
  for (let n = 0; n < ids.length; n++) {
    const destination = ids[n]! * channels;
    const source = n * channels;
    for (let c = 0; c < channels; c++) sums[destination + c] += dy[source + c]!;
  }
  return Float32Array.from(sums);
}

/** Returns table[ids] [N, C] for table [V, C] and int32 ids [N] on a host backend; gradient flows to the table only. */
export function embeddingHost(table: tf.Tensor2D, ids: tf.Tensor1D): tf.Tensor2D {
  const [vocabulary, channels] = table.shape;
  const withGradient = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
    const [tableInput, idsInput] = args as [tf.Tensor2D, tf.Tensor1D];
    const save = args[2] as tf.GradSaveFunc;
    save([idsInput]);
    return {
      value: tf.gather(tableInput, idsInput),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const savedIds = saved[0]!;
        const dtable = scatterAddRows(dy.dataSync() as Float32Array, savedIds.dataSync(), vocabulary, channels);
        return [tf.tensor2d(dtable, [vocabulary, channels]), tf.zeros(savedIds.shape)];
      },
    };
  });
  return withGradient(table, ids) as tf.Tensor2D;
}
