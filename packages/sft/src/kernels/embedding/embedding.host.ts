// Shape legend: V vocabulary rows, C channels, N looked-up ids.
// The embedding on the host-side backends (cpu, wasm). Its gradient is its own (tf.customGrad): tfjs's
// gather gradient needs UnsortedSegmentSum, which the wasm backend lacks (and whose cpu kernel loops
// over all V segments for every id), and a one-hot matmul would cost O(V·N) memory. dy and ids are read
// on the host and their rows added into a dense [V, C] buffer in ascending n (float64 sums): O(N·C)
// work, O(V·C) memory (the size of dtable), deterministic.
import * as tf from '@tensorflow/tfjs';
import { gatherRows } from './embedding.composed';

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
  return gatherRows(table, ids, (dy, savedIds) =>
    tf.tensor2d(scatterAddRows(dy.dataSync() as Float32Array, savedIds.dataSync(), vocabulary, channels), [vocabulary, channels]),
  );
}
