/** The training-step benchmark over K data-parallel worker threads (each with its own backend and replica). */
import { DataParallelTrainer, type DataParallelStepTimings, type ModelConfig } from '@steerlm/sft';
import { InvalidOptionError } from '@steerlm/core';
import { median } from './median';
import { processCpuMs } from './process-cpu-ms';
import type { StepBenchmarkOptions, StepBenchmarkResult } from './run-step-benchmark';
import type { StepShape } from './step-shapes';
import { syntheticBatch } from './synthetic-batch';

/** The AdamW settings every benchmark step uses (the same as the single-thread run). */
const ADAMW = { learningRate: 1e-3, weightDecay: 0.01, maxGradNorm: 1, beta1: 0.9, beta2: 0.999 } as const;

/** Returns the benchmark's figures for `options.workers` worker threads after logging every step. */
export async function runParallelStepBenchmark(
  options: Omit<StepBenchmarkOptions, 'shape'> & { config: ModelConfig; shape: StepShape },
): Promise<StepBenchmarkResult> {
  if (options.backend !== 'wasm' && options.backend !== 'cpu') {
    throw new InvalidOptionError(`--workers runs on cpu or wasm, not ${options.backend}`, { option: 'workers', hint: 'drop --workers for webgpu' });
  }
  const { shape, config } = options;
  const tokens = shape.batchSize * shape.sequenceLength;
  const trainer = await DataParallelTrainer.start({ config, workers: options.workers, backend: options.backend, seed: 0 });
  options.log(
    `${options.workers} data-parallel worker threads, each ${options.backend} (matmuls on ${trainer.matmul}) with its own replica; shape ${shape.name}: GPT-2 family, batch ${shape.batchSize} x ${shape.sequenceLength} = ${tokens} tokens a step`,
  );
  const batch = syntheticBatch(shape.batchSize, shape.sequenceLength, config.vocabSize);
  const stepMs: number[] = [];
  const cpuMs: number[] = [];
  const losses: number[] = [];
  const timings: DataParallelStepTimings[][] = [];
  try {
    for (let index = 0; index < options.warmup + options.steps; index++) {
      const started = performance.now();
      const cpuStarted = processCpuMs();
      const outcome = await trainer.step([batch], false, ADAMW);
      const elapsed = performance.now() - started;
      const cpu = processCpuMs() - cpuStarted;
      losses.push(outcome.loss);
      if (index >= options.warmup) {
        stepMs.push(elapsed);
        cpuMs.push(cpu);
        timings.push(trainer.lastStepTimings);
      }
      options.log(
        `step ${index + 1}${index < options.warmup ? ' (warm-up)' : ''}: ${elapsed.toFixed(1)} ms (cpu, all threads, ${cpu.toFixed(1)} ms), loss ${outcome.loss.toFixed(4)}`,
      );
    }
  } finally {
    await trainer.close();
  }
  // Where each worker's timed steps went (medians): the parallel part (gradients) against the rest.
  for (let worker = 0; worker < options.workers; worker++) {
    const phase = (name: keyof DataParallelStepTimings) => median(timings.map((step) => step[worker]![name])).toFixed(1);
    options.log(
      `worker ${worker}: gradients ${phase('gradients')} ms, reduce ${phase('reduce')} ms, AdamW shard ${phase('optimizer')} ms, weight load ${phase('load')} ms, barrier waits ${phase('wait')} ms`,
    );
  }
  const msPerStep = median(stepMs);
  return { msPerStep, tokensPerSecond: (tokens * 1000) / msPerStep, cpuMsPerStep: median(cpuMs), stepMs, losses };
}
