/** Per-kernel time of one training step through tf.profile, summed by kernel name and input shapes. */
import * as tf from '@tensorflow/tfjs';

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
