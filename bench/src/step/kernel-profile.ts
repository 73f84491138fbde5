/**
 * Per-kernel time of one training step through tf.profile, summed by kernel name and input shapes.
 * On webgpu with 'timestamp-query' every kernel, ours included (runProgram writes timestamps while
 * tf.profile runs), is timed on the GPU; without it tfjs reports 0 per kernel.
 */
import * as tf from '@tensorflow/tfjs';
import { getWebGPUBackend } from '@steerlm/sft/kernels';

/** Returns one line saying how the profile's kernel times are measured on the active backend. */
export function describeKernelTimer(): string {
  if (tf.getBackend() !== 'webgpu') return `kernel times: wall-clock of each kernel call on ${tf.getBackend()} (synchronous backends)`;
  return getWebGPUBackend().device.features.has('timestamp-query')
    ? 'kernel times: GPU timestamp queries around each kernel (ours and stock tfjs)'
    : 'kernel times: this adapter has no timestamp-query, so per-kernel GPU times are 0; use the wall-clock time of the profiled forward + backward (queue drained) on the next line';
}

/** One row of a kernel profile: a kernel name with its input shapes, how often it ran and its total time. */
export interface KernelProfileRow {
  kernel: string;
  calls: number;
  milliseconds: number;
}

/** Returns the kernels `run` dispatches, heaviest first, with their summed times. */
export async function profileKernels(run: () => void): Promise<KernelProfileRow[]> {
  const info = await tf.profile(() => {
    run();
    return tf.scalar(0);
  });
  const rows = new Map<string, KernelProfileRow>();
  for (const kernel of info.kernels) {
    const key = `${kernel.name} ${kernel.inputShapes.map((shape) => `[${(shape ?? []).join(',')}]`).join(' ')}`;
    const row = rows.get(key) ?? { kernel: key, calls: 0, milliseconds: 0 };
    row.calls++;
    row.milliseconds += typeof kernel.kernelTimeMs === 'number' ? kernel.kernelTimeMs : 0;
    rows.set(key, row);
  }
  return [...rows.values()].sort((a, b) => b.milliseconds - a.milliseconds);
}
