/** Runs the training-step benchmark in this thread (or over data-parallel workers) and returns its figures. */
import * as tf from '@tensorflow/tfjs';
import { InvalidOptionError } from '@steerlm/core';
import { DecoderModel, parseModelConfig, selectBackend, type BackendName } from '@steerlm/sft';
import { Optimizer, trainableSet } from '@steerlm/sft/trainer';
import { profileKernels } from './kernel-profile';
import { median } from './median';
import { processCpuMs } from './process-cpu-ms';
import { runParallelStepBenchmark } from './run-parallel-step-benchmark';
import { stepShape, STEP_SHAPES } from './step-shapes';
import { syntheticBatch } from './synthetic-batch';

/** What to benchmark. */
export interface StepBenchmarkOptions {
  shape: string;
  backend: string;
  /** Timed steps. */
  steps: number;
  /** Untimed steps first (pipeline compilation, allocator warm-up). */
  warmup: number;
  /** 1: this thread; K > 1: K data-parallel worker threads (cpu or wasm). */
  workers: number;
  /** Print the per-kernel times of one step (this thread only). */
  profile: boolean;
  log: (line: string) => void;
}

/** The benchmark's figures: median step time and tokens a second, with every timed step and the losses. */
export interface StepBenchmarkResult {
  msPerStep: number;
  tokensPerSecond: number;
  /**
   * Median CPU milliseconds this process (all its threads) spent per step: on a machine shared with
   * other work, wall time stretches with the load while this stays close to the unloaded step time.
   */
  cpuMsPerStep: number;
  stepMs: number[];
  losses: number[];
}

/** The AdamW settings every benchmark step uses. */
export const BENCH_ADAMW = { learningRate: 1e-3, weightDecay: 0.01, maxGradNorm: 1, beta1: 0.9, beta2: 0.999 } as const;

/** Returns the benchmark's figures after logging the setup, the per-step times and (with profile) the heaviest kernels. */
export async function runStepBenchmark(options: StepBenchmarkOptions): Promise<StepBenchmarkResult> {
  const shape = stepShape(options.shape);
  if (!shape) throw new InvalidOptionError(`unknown shape "${options.shape}"`, { option: 'shape', hint: `use one of ${Object.keys(STEP_SHAPES).join(', ')}` });
  if (!['cpu', 'wasm', 'webgpu'].includes(options.backend)) {
    throw new InvalidOptionError(`unknown backend "${options.backend}"`, { option: 'backend', hint: 'use cpu, wasm or webgpu' });
  }
  for (const [name, value] of [
    ['steps', options.steps],
    ['warmup', options.warmup - 0.5],
    ['workers', options.workers],
  ] as const) {
    if (!(value >= 0.5) || !Number.isFinite(value)) throw new InvalidOptionError(`--${name} must be a positive integer`, { option: name });
  }
  const config = parseModelConfig(shape.config);
  const tokens = shape.batchSize * shape.sequenceLength;
  if (options.workers > 1) return runParallelStepBenchmark({ ...options, config, shape });

  const selection = await selectBackend({ prefer: options.backend as BackendName, strict: true });
  options.log(`backend ${selection.reason}`);
  const model = DecoderModel.create(config, { seed: 0 });
  options.log(
    `shape ${shape.name}: GPT-2 family, ${model.parameterCount().toLocaleString('en-US')} parameters, batch ${shape.batchSize} x ${shape.sequenceLength} = ${tokens} tokens a step`,
  );
  const optimizer = new Optimizer(trainableSet(model));
  const batch = syntheticBatch(shape.batchSize, shape.sequenceLength, config.vocabSize);
  const step = () => optimizer.step(model, [batch], false, BENCH_ADAMW);
  const stepMs: number[] = [];
  const cpuMs: number[] = [];
  const losses: number[] = [];
  for (let index = 0; index < options.warmup + options.steps; index++) {
    const started = performance.now();
    const cpuStarted = processCpuMs();
    const outcome = await step();
    const elapsed = performance.now() - started;
    const cpu = processCpuMs() - cpuStarted;
    losses.push(outcome.loss);
    if (index >= options.warmup) {
      stepMs.push(elapsed);
      cpuMs.push(cpu);
    }
    options.log(
      `step ${index + 1}${index < options.warmup ? ' (warm-up)' : ''}: ${elapsed.toFixed(1)} ms (cpu ${cpu.toFixed(1)} ms), loss ${outcome.loss.toFixed(4)}`,
    );
  }
  if (options.profile) {
    const rows = await profileKernels(() => {
      const gradients = optimizer.gradients(model, [batch], false, tokens);
      tf.dispose([gradients.loss, ...gradients.grads]);
    });
    const total = rows.reduce((sum, row) => sum + row.milliseconds, 0);
    options.log(`kernel profile of one forward + backward (${total.toFixed(1)} ms in kernels):`);
    for (const row of rows.slice(0, 30)) options.log(`  ${row.milliseconds.toFixed(2).padStart(9)} ms ${String(row.calls).padStart(4)}x  ${row.kernel}`);
  }
  optimizer.dispose();
  model.dispose();
  options.log(`tensors alive: ${tf.memory().numTensors}`);
  const msPerStep = median(stepMs);
  return { msPerStep, tokensPerSecond: (tokens * 1000) / msPerStep, cpuMsPerStep: median(cpuMs), stepMs, losses };
}
