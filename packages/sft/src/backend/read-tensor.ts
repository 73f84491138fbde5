/**
 * The one way library and CLI code reads tensor values back: asynchronously (tfjs-webgpu's
 * synchronous reads need OffscreenCanvas, which Node lacks, and stall the GPU queue in browsers),
 * then checking that the device reported no error while producing them (device-errors.ts), so a
 * dropped command buffer never turns into a wrong number.
 */
import type * as tf from '@tensorflow/tfjs';
import { throwIfDeviceFailed } from './device-errors';

/** Returns the values of `tensor` (float32 or int32 as stored); throws BackendError when the GPU failed. */
export async function readTensor(tensor: tf.Tensor, during?: string): Promise<Float32Array | Int32Array | Uint8Array> {
  const values = (await tensor.data()) as Float32Array | Int32Array | Uint8Array;
  throwIfDeviceFailed(during);
  return values;
}

/** Returns the float32 values of `tensor`; throws BackendError when the GPU failed. */
export async function readFloat32(tensor: tf.Tensor, during?: string): Promise<Float32Array> {
  const values = await readTensor(tensor, during);
  return values instanceof Float32Array ? values : Float32Array.from(values);
}

/** Returns the first value of `tensor` (a scalar or any tensor) as a number; throws BackendError when the GPU failed. */
export async function readScalar(tensor: tf.Tensor, during?: string): Promise<number> {
  return (await readTensor(tensor, during))[0]!;
}

/** Returns the rows of a [rows, columns] tensor as float32 arrays (one read-back); throws BackendError when the GPU failed. */
export async function readRows(tensor: tf.Tensor2D, during?: string): Promise<Float32Array[]> {
  const [rows, columns] = tensor.shape;
  const values = await readFloat32(tensor, during);
  return Array.from({ length: rows }, (_, row) => values.slice(row * columns, (row + 1) * columns));
}
