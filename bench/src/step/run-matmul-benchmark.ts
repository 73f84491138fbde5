/** Times the matmul op alone at N×N×N on the active backend, for one variant (f32 or f16 inputs). */
import * as tf from '@tensorflow/tfjs';
import { matmul, type MatmulVariant } from '@steerlm/sft/kernels';
import { median } from './median';

/** Returns the median milliseconds and TFLOP/s of `runs` N×N×N products after logging them. */
export async function runMatmulBenchmark(
  size: number,
  variant: MatmulVariant,
  runs: number,
  log: (line: string) => void,
): Promise<{ ms: number; tflops: number }> {
  const a = tf.randomNormal([size, size]);
  const b = tf.randomNormal([size, size]);
  const times: number[] = [];
  for (let run = 0; run < runs + 2; run++) {
    const started = performance.now();
    const product = matmul(a, b, { variant });
    await product.data();
    product.dispose();
    if (run >= 2) times.push(performance.now() - started);
  }
  tf.dispose([a, b]);
  const ms = median(times);
  const tflops = (2 * size ** 3) / ms / 1e9;
  log(`matmul=${variant} size=${size} ms=${ms.toFixed(3)} tflops=${tflops.toFixed(2)} (median of ${runs}, including the read-back)`);
  return { ms, tflops };
}
