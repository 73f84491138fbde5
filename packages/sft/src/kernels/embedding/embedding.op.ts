// Shape legend: V vocabulary rows, C channels, N looked-up ids (ids may have any shape [...], flattened to [N]).
import * as tf from '@tensorflow/tfjs';
import { ShapeError } from '@steerlm/core';
import { firstOutOfRange, hostInt32Values } from '../host';
import { defineFusedOp, runProgram, runProgramOnTensors } from '../runtime';
import { embeddingComposed } from './embedding.composed';
import { embeddingHost } from './embedding.host';
import { embeddingAccumulateProgram, embeddingForwardProgram, embeddingSortProgram, type EmbeddingDimensions } from './embedding.wgsl';

function dimensionsOf(table: { shape: readonly number[] }, ids: { shape: readonly number[] }): EmbeddingDimensions {
  return { count: ids.shape[0]!, vocabulary: table.shape[0]!, channels: table.shape[1]! };
}

const embeddingKernel = defineFusedOp<Record<string, never>>({
  name: 'SteerLMEmbedding',
  inputNames: ['table', 'ids'],
  webgpu: ([table, ids], _attributes, backend) => runProgram(embeddingForwardProgram(dimensionsOf(table!, ids!)), [table!, ids!], backend),
  host: ([table, ids]) => [embeddingHost(table as tf.Tensor2D, ids as tf.Tensor1D)],
  fallback: ([table, ids]) => [embeddingComposed(table as tf.Tensor2D, ids as tf.Tensor1D)],
  gradient: ([dy], { inputs: [table, ids] }) => {
    const dimensions = dimensionsOf(table!, ids!);
    const [sorted] = runProgramOnTensors(embeddingSortProgram(dimensions), [ids!]);
    const [dtable] = runProgramOnTensors(embeddingAccumulateProgram(dimensions), [dy!, ids!, sorted!]);
    sorted!.dispose();
    return [dtable!, tf.zeros(ids!.shape)];
  },
});

/**
 * Returns the rows table[ids] as [...ids.shape, C] for table [V, C] and int32 ids; differentiable in the table
 * (dtable is the deterministic scatter-add of the upstream rows). Ids outside [0, V) throw ShapeError when
 * readable on the host (on webgpu, GPU-resident ids are not read back: such rows come out NaN).
 */
export function embedding(table: tf.Tensor, ids: tf.Tensor): tf.Tensor {
  if (table.rank !== 2 || table.dtype !== 'float32') {
    throw new ShapeError(`embedding: table must be float32 [V, C], got ${table.dtype} [${table.shape.join(', ')}]`, { field: 'table' });
  }
  if (ids.dtype !== 'int32') {
    throw new ShapeError(`embedding: ids must be int32, got ${ids.dtype} [${ids.shape.join(', ')}]`, {
      field: 'ids',
      hint: 'token ids: tf.tensor(ids, shape, "int32")',
    });
  }
  const [vocabulary, channels] = table.shape as [number, number];
  const values = hostInt32Values(ids);
  const bad = values === null ? -1 : firstOutOfRange(values, vocabulary);
  if (bad >= 0) {
    throw new ShapeError(`embedding: ids[${bad}] = ${values![bad]} is outside the table's ${vocabulary} rows`, {
      field: 'ids',
      hint: 'check that the tokenizer and the model have the same vocabulary size',
    });
  }
  return tf.tidy(() => {
    const [rows] = embeddingKernel([table, tf.reshape(ids, [-1])], {});
    return tf.reshape(rows!, [...ids.shape, channels]);
  });
}

/** Returns whether embedding runs its fused WGSL kernels on the active backend. */
export function embeddingUsesKernel(): boolean {
  return embeddingKernel.usesKernel();
}
