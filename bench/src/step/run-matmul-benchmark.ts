/**
 * Times the matmul op alone at N×N×N on the active backend, for one variant (f32 or f16 inputs). The
 * read-back is not timed: on webgpu each run is submitted and awaited with onSubmittedWorkDone, and
 * with 'timestamp-query' the GPU time of the kernel itself (tf.time's kernelMs) is reported too.
 */
import * as tf from '@tensorflow/tfjs';
import { getWebGPUBackend, matmul, type MatmulVariant } from '@steerlm/sft/kernels';
import { median } from './median';

/** Resolves when everything queued on the active backend so far has run (no read-back). */
async function drain(): Promise<void> {
  if (tf.getBackend() !== 'webgpu') return;
  const backend = getWebGPUBackend();
  backend.submitQueue();
  await backend.device.queue.onSubmittedWorkDone();
}

/** Returns the median milliseconds (GPU kernel time when measured, else queue-drained wall time) and TFLOP/s of `runs` N×N×N products after logging them. */
export async function runMatmulBenchmark(
  size: number,
  variant: MatmulVariant,
  runs: number,
  log: (line: string) => void,
): Promise<{ ms: number; tflops: number }> {
  const a = tf.randomNormal([size, size]);
  const b = tf.randomNormal([size, size]);
  await drain();
  const wallTimes: number[] = [];
  const gpuTimes: number[] = [];
  for (let run = 0; run < runs + 2; run++) {
    const started = performance.now();
    const product = matmul(a, b, { variant });
    await drain();
    const wall = performance.now() - started;
    product.dispose();
    if (run >= 2) wallTimes.push(wall);
  }
  const timestamps = tf.getBackend() === 'webgpu' && getWebGPUBackend().device.features.has('timestamp-query');
  if (timestamps) {
    for (let run = 0; run < runs; run++) {
      const timing = await tf.time(() => matmul(a, b, { variant }).dispose());
      if (typeof timing.kernelMs === 'number' && timing.kernelMs > 0) gpuTimes.push(timing.kernelMs);
    }
  }
  tf.dispose([a, b]);
  const wallMs = median(wallTimes);
  const ms = gpuTimes.length > 0 ? median(gpuTimes) : wallMs;
  const tflops = (2 * size ** 3) / ms / 1e9;
  const how = gpuTimes.length > 0 ? `GPU timestamps; wall with queue drain ${wallMs.toFixed(3)} ms` : 'wall-clock with queue drain';
  log(`matmul=${variant} size=${size} ms=${ms.toFixed(3)} tflops=${tflops.toFixed(2)} (median of ${runs}, ${how}, read-back not timed)`);
  return { ms, tflops };
}
