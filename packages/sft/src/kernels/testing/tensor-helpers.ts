/** Small helpers for kernel tests that move data between Float32Arrays and tfjs tensors. */
import * as tf from '@tensorflow/tfjs';

/** Returns the values of `tensor` as a Float32Array (awaiting the GPU when needed), and disposes it if asked. */
export async function readFloat32(tensor: tf.Tensor, dispose = false): Promise<Float32Array> {
  const values = await tensor.data();
  if (dispose) tensor.dispose();
  return values instanceof Float32Array ? values : Float32Array.from(values as ArrayLike<number>);
}

/** Returns the result of `body`, throwing when it left more tfjs tensors alive than before. */
export async function expectNoTensorLeak<T>(body: () => Promise<T>, label = 'body'): Promise<T> {
  const before = tf.memory().numTensors;
  const result = await body();
  const after = tf.memory().numTensors;
  if (after !== before) throw new Error(`${label} leaked ${after - before} tfjs tensors (${before} before, ${after} after)`);
  return result;
}
