/**
 * The one place that says which tfjs backends keep tensors in host memory (cpu, wasm). There a
 * kernel may read its inputs back with a copy, not a GPU stall, so fused ops run their `host`
 * implementation (plain loops, wasm-heap views) instead of composed tfjs ops.
 */
import * as tf from '@tensorflow/tfjs';

/** Backends whose tensors live in host memory. */
export const HOST_BACKENDS: ReadonlySet<string> = new Set(['cpu', 'wasm']);

/** Returns true when the active backend keeps tensors in host memory (cpu, wasm). */
export function isHostBackend(): boolean {
  return HOST_BACKENDS.has(tf.getBackend());
}
