/** Splitting a training batch by rows for data-parallel workers. Shape legend: B rows, T time. */
import type { TrainingBatch } from '../trainer/batching';

/** Returns rows [start, end) of `batch` as a batch of its own (trainedTokens recounted). */
export function batchRows(batch: TrainingBatch, start: number, end: number): TrainingBatch {
  const { T } = batch;
  const lossMask = batch.lossMask.slice(start * T, end * T);
  return {
    B: end - start,
    T,
    ids: batch.ids.slice(start * T, end * T),
    targets: batch.targets.slice(start * T, end * T),
    lossMask,
    keyMask: batch.keyMask.slice(start * T, end * T),
    segmentIds: batch.segmentIds.slice(start * T, end * T),
    positions: batch.positions.slice(start * T, end * T),
    trainedTokens: lossMask.reduce((sum, value) => sum + (value !== 0 ? 1 : 0), 0),
    examples: batch.examples,
  };
}

/** Returns the rows of `batch` split into `parts` contiguous shards as even as possible (empty shards left out). */
export function shardBatch(batch: TrainingBatch, parts: number): TrainingBatch[] {
  const shards: TrainingBatch[] = [];
  for (let part = 0; part < parts; part++) {
    const start = Math.floor((part * batch.B) / parts);
    const end = Math.floor(((part + 1) * batch.B) / parts);
    shards.push(batchRows(batch, start, end));
  }
  return shards;
}
