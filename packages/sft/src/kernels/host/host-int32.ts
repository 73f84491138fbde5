// Reading small int32 tensors (targets, ids, positions) on the host to validate them, without a GPU
// readback: tfjs's webgpu backend can read synchronously only data that still lives on the CPU side.
import * as tf from '@tensorflow/tfjs';
import { backendInternals, isWebGPUBackend } from '../runtime';

/** Returns the values of an int32 tensor when they are readable without a GPU readback, else null. */
export function hostInt32Values(tensor: tf.Tensor): Int32Array | null {
  const backend = tf.backend();
  if (isWebGPUBackend(backend)) {
    const values = backendInternals(backend).tensorMap.get(tensor.dataId)?.values;
    return values instanceof Int32Array ? values : null;
  }
  const values = tensor.dataSync();
  return values instanceof Int32Array ? values : Int32Array.from(values);
}

/** Returns the index of the first value outside [0, limit), or -1 when all are inside. */
export function firstOutOfRange(values: Int32Array, limit: number): number {
  for (let i = 0; i < values.length; i++) {
    const value = values[i]!;
    if (value < 0 || value >= limit) return i;
  }
  return -1;
}
