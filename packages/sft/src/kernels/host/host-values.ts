/**
 * Moving values between tfjs tensors and Float32Arrays for the host-side kernels (cpu, wasm) with as
 * few copies and allocations as the backend allows. dataSync on wasm copies the tensor out of wasm
 * memory into a fresh array every time; at the attention's 768 small products a step that churned
 * ~50 MB of garbage. Here a read copies straight from wasm memory into a buffer the caller reuses.
 */
import * as tf from '@tensorflow/tfjs';
export { isHostBackend } from '../runtime/host-backend';

/** tfjs-backend-wasm's view of a tensor's bytes in wasm memory (BackendWasm.typedArrayFromHeap). */
interface WasmHeapBackend {
  typedArrayFromHeap(info: tf.TensorInfo): Float32Array | Int32Array;
}

function wasmHeapView(tensor: tf.Tensor): Float32Array | Int32Array | null {
  if (tf.getBackend() !== 'wasm') return null;
  const backend = tf.backend() as unknown as Partial<WasmHeapBackend>;
  return typeof backend.typedArrayFromHeap === 'function' ? backend.typedArrayFromHeap(tensor) : null;
}

/** Returns `target` after copying the float32 values of `tensor` into it (straight from wasm memory on wasm). */
export function readInto(tensor: tf.Tensor, target: Float32Array): Float32Array {
  target.set(wasmHeapView(tensor) ?? (tensor.dataSync() as Float32Array));
  return target;
}

const scratchBySize = new Map<number, Float32Array>();

/**
 * Returns a Float32Array of `size` to fill and hand to tf.tensor at once: on wasm (which copies on
 * tf.tensor) one buffer per size, reused across calls; elsewhere a new array, since the cpu backend
 * keeps the array it is given. Its contents are stale: write every element.
 */
export function outputBuffer(size: number): Float32Array {
  if (tf.getBackend() !== 'wasm') return new Float32Array(size);
  let buffer = scratchBySize.get(size);
  if (!buffer) {
    buffer = new Float32Array(size);
    scratchBySize.set(size, buffer);
  }
  return buffer;
}

const inputScratchBySize = new Map<number, Float32Array>();

/**
 * Returns the float32 values of `tensor` for reading within the current call only (do not keep or
 * write it): on wasm copied straight from wasm memory into one buffer per size, reused across calls;
 * on cpu the backend's own array.
 */
export function borrowValues(tensor: tf.Tensor): Float32Array {
  const view = wasmHeapView(tensor);
  if (!view) return tensor.dataSync() as Float32Array;
  let buffer = inputScratchBySize.get(view.length);
  if (!buffer) {
    buffer = new Float32Array(view.length);
    inputScratchBySize.set(view.length, buffer);
  }
  buffer.set(view);
  return buffer;
}

const freeBySize = new Map<number, Float32Array[]>();
/** At most this many released buffers are kept per size. */
const POOL_DEPTH = 16;

/**
 * Returns a Float32Array of `size` with stale contents (write every element) for values a forward
 * keeps until its backward: a released one when there is one, else a new one. Give it back with
 * releaseBuffer once the backward has used it; a buffer never released is simply garbage collected.
 * Never hand a pooled buffer to tf.tensor (the cpu backend would keep it as the tensor's data).
 */
export function acquireBuffer(size: number): Float32Array {
  return freeBySize.get(size)?.pop() ?? new Float32Array(size);
}

/** Returns `buffers` to the pool acquireBuffer draws from (their contents are not cleared). */
export function releaseBuffer(...buffers: Float32Array[]): void {
  for (const buffer of buffers) {
    let free = freeBySize.get(buffer.length);
    if (!free) {
      free = [];
      freeBySize.set(buffer.length, free);
    }
    if (free.length < POOL_DEPTH && !free.includes(buffer)) free.push(buffer);
  }
}
