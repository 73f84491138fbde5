/**
 * Running a host computation on tfjs tensors without copies: on wasm the inputs are read and the
 * outputs written straight in wasm memory (the outputs are allocated first, then every view is taken,
 * so no allocation can move the heap under them); on cpu the inputs are the backend's own arrays and
 * each output array becomes its tensor's data.
 */
import * as tf from '@tensorflow/tfjs';

/** tfjs-backend-wasm's heap allocation and views (BackendWasm.makeOutput / typedArrayFromHeap). */
interface WasmBackend {
  makeOutput(shape: number[], dtype: 'float32'): tf.TensorInfo;
  typedArrayFromHeap(info: tf.TensorInfo): Float32Array;
}

function wasmBackend(): WasmBackend | null {
  if (tf.getBackend() !== 'wasm') return null;
  const backend = tf.backend() as unknown as Partial<WasmBackend>;
  return typeof backend.makeOutput === 'function' && typeof backend.typedArrayFromHeap === 'function' ? (backend as WasmBackend) : null;
}

/**
 * Returns float32 tensors of `outputShapes` after `compute` wrote every element of their arrays,
 * given the float32 values of `inputs` (read only; valid during the call). `compute` must not create
 * tensors or run tfjs ops (on wasm that may grow the heap and detach the views).
 */
export function hostCompute(
  inputs: readonly tf.Tensor[],
  outputShapes: readonly number[][],
  compute: (inputs: Float32Array[], outputs: Float32Array[]) => void,
): tf.Tensor[] {
  const wasm = wasmBackend();
  if (wasm === null) {
    const inputValues = inputs.map((tensor) => tensor.dataSync() as Float32Array);
    const outputValues = outputShapes.map((shape) => new Float32Array(shape.reduce((size, dim) => size * dim, 1)));
    compute(inputValues, outputValues);
    return outputValues.map((values, index) => tf.tensor(values, outputShapes[index]!, 'float32'));
  }
  const infos = outputShapes.map((shape) => wasm.makeOutput([...shape], 'float32'));
  try {
    compute(
      inputs.map((tensor) => wasm.typedArrayFromHeap(tensor)),
      infos.map((info) => wasm.typedArrayFromHeap(info)),
    );
  } catch (error) {
    for (const info of infos) tf.backend().disposeData(info.dataId);
    throw error;
  }
  return infos.map((info) => tf.engine().makeTensorFromTensorInfo(info));
}
