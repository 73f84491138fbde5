/**
 * The visibility rules of causal attention as tensors: the packed [2, B, T] int32 mask the kernels
 * read (row 0: segment id of each position, row 1: 1 where the key is not padding) and the
 * [B, 1, T, T] boolean "query i may attend key j" matrix the composed fallback uses.
 *
 * Shape legend: B batch, T time.
 */
import * as tf from '@tensorflow/tfjs';
import { ShapeError } from '@steerlm/core';

/** Per-batch-row padding and packing information, as tensors or plain arrays. */
export interface AttentionMaskInputs {
  /** [B]: keys at positions >= validLengths[b] are padding. */
  validLengths?: tf.Tensor | readonly number[] | Int32Array;
  /** [B, T] (nested or flat row-major): keys with keyMask[b][j] == 0 are padding. */
  keyMask?: tf.Tensor | readonly number[] | ReadonlyArray<readonly number[]> | Int32Array | Uint8Array;
  /** [B, T] (nested or flat row-major): queries only attend keys of their own segment. */
  segmentIds?: tf.Tensor | readonly number[] | ReadonlyArray<readonly number[]> | Int32Array;
}

function asInt32(value: tf.Tensor | ArrayLike<number> | ReadonlyArray<readonly number[]>, shape: number[], field: string): tf.Tensor {
  if (value instanceof tf.Tensor) {
    if (value.shape.length !== shape.length || value.shape.some((size, axis) => size !== shape[axis])) {
      throw new ShapeError(`causalAttention: ${field} has shape [${value.shape.join(', ')}], expected [${shape.join(', ')}]`, { field });
    }
    return value.dtype === 'int32' ? value.clone() : tf.cast(value, 'int32');
  }
  const flat = Array.isArray(value) && Array.isArray(value[0]) ? (value as ReadonlyArray<readonly number[]>).flat() : Array.from(value as ArrayLike<number>);
  const expected = shape.reduce((product, size) => product * size, 1);
  if (flat.length !== expected) {
    throw new ShapeError(`causalAttention: ${field} has ${flat.length} entries, expected ${expected} ([${shape.join(', ')}])`, { field });
  }
  return tf.tensor(flat, shape, 'int32');
}

/** Returns the [2, B, T] int32 mask: segment ids (0 when none) stacked over key validity (1 = attendable). */
export function buildAttentionMask(batch: number, time: number, inputs: AttentionMaskInputs = {}): tf.Tensor3D {
  return tf.tidy(() => {
    const segments = inputs.segmentIds === undefined ? tf.zeros([batch, time], 'int32') : asInt32(inputs.segmentIds, [batch, time], 'segmentIds');
    let valid: tf.Tensor = tf.ones([batch, time], 'bool');
    if (inputs.validLengths !== undefined) {
      const lengths = asInt32(inputs.validLengths, [batch], 'validLengths');
      valid = tf.logicalAnd(valid, tf.less(tf.range(0, time, 1, 'int32').expandDims(0), lengths.expandDims(1)));
    }
    if (inputs.keyMask !== undefined) {
      valid = tf.logicalAnd(valid, tf.notEqual(asInt32(inputs.keyMask, [batch, time], 'keyMask'), 0));
    }
    return tf.stack([segments, tf.cast(valid, 'int32')]) as tf.Tensor3D;
  });
}

/**
 * Returns the same [2, B, T] int32 mask as buildAttentionMask, built on the CPU from host arrays and
 * uploaded once (no GPU dispatch): keyMask [B·T] (0 = padding), segmentIds [B·T] (absent: one segment).
 */
export function attentionMaskFromArrays(batch: number, time: number, keyMask?: ArrayLike<number>, segmentIds?: ArrayLike<number>): tf.Tensor3D {
  const size = batch * time;
  for (const [field, values] of [
    ['keyMask', keyMask],
    ['segmentIds', segmentIds],
  ] as const) {
    if (values !== undefined && values.length !== size) {
      throw new ShapeError(`causalAttention: ${field} has ${values.length} entries, expected ${size} ([${batch}, ${time}])`, { field });
    }
  }
  const mask = new Int32Array(2 * size);
  for (let index = 0; index < size; index++) {
    mask[index] = segmentIds === undefined ? 0 : segmentIds[index]!;
    // As buildAttentionMask: the key mask is cast to int32 (truncated) before the != 0 test.
    mask[size + index] = keyMask === undefined || Math.trunc(keyMask[index]!) !== 0 ? 1 : 0;
  }
  return tf.tensor3d(mask, [2, batch, time], 'int32');
}

/** Returns the [B, 1, T, T] boolean matrix: true where query i may attend key j (j <= i, key valid, same segment). */
export function attendableMatrix(mask: tf.Tensor3D): tf.Tensor4D {
  return tf.tidy(() => {
    const [, , time] = mask.shape;
    const [segments, valid] = tf.unstack(mask) as [tf.Tensor2D, tf.Tensor2D];
    const causal = tf.cast(tf.linalg.bandPart(tf.ones([time, time]), -1, 0), 'bool');
    const sameSegment = tf.equal(segments.expandDims(2), segments.expandDims(1));
    const keyValid = tf.notEqual(valid, 0).expandDims(1);
    return tf.logicalAnd(tf.logicalAnd(sameSegment, keyValid), causal).expandDims(1) as tf.Tensor4D;
  });
}
