/** Runs the training-step benchmark in this thread (or over data-parallel workers) and returns its figures. */
import * as tf from '@tensorflow/tfjs';
import { InvalidOptionError } from '@steerlm/core';
import { DecoderModel, parseModelConfig, selectBackend, throwIfDeviceFailed, type BackendName, type ModelConfig } from '@steerlm/sft';
import {
  checkCompiledPrograms,
  dispatchCounts,
  dispatchCountsBetween,
  getWebGPUBackend,
  installDispatchCounter,
  pipelineCacheSize,
  resolveActivePrecision,
  type DispatchCounts,
  type TrainingPrecision,
} from '@steerlm/sft/kernels';
import { Optimizer, trainableSet, type TrainingBatch } from '@steerlm/sft/trainer';
import { describeKernelTimer, profileKernels } from './kernel-profile';
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
  /** 'mixed': the optimizer trains in mixed precision where resolveActivePrecision allows it [f32]. */
  precision?: TrainingPrecision;
  /** Overrides of the shape's batch size and sequence length (e.g. gpt2s layers at a batch a software adapter can run). */
  batchSize?: number;
  sequenceLength?: number;
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
  /** On a backend that dispatches to a GPU: the dispatches of one timed step (median) and of one layer. */
  dispatches?: { perStep: DispatchCounts; perLayer: number };
}

/** Returns the optimizer of `model`, in mixed precision when asked and available. */
function benchOptimizer(model: DecoderModel, precision: TrainingPrecision): Optimizer {
  const optimizer = new Optimizer(trainableSet(model));
  if (resolveActivePrecision(precision).used === 'mixed') optimizer.useMixedPrecision([...model.parameters.values()]);
  return optimizer;
}

/** Returns the dispatches of one step (the second of two) of a fresh model of `config` on `batch`. */
async function dispatchesOfOneStep(config: ModelConfig, batch: TrainingBatch, precision: TrainingPrecision): Promise<DispatchCounts> {
  const model = DecoderModel.create(config, { seed: 0 });
  const optimizer = benchOptimizer(model, precision);
  try {
    await optimizer.step(model, [batch], false, BENCH_ADAMW);
    const before = dispatchCounts();
    await optimizer.step(model, [batch], false, BENCH_ADAMW);
    return dispatchCountsBetween(before, dispatchCounts());
  } finally {
    optimizer.dispose();
    model.dispose();
  }
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
  const batchSize = options.batchSize ?? shape.batchSize;
  const sequenceLength = options.sequenceLength ?? shape.sequenceLength;
  const config = parseModelConfig(shape.config);
  if (!(
    Number.isInteger(batchSize) &&
    batchSize > 0 &&
    Number.isInteger(sequenceLength) &&
    sequenceLength > 0 &&
    sequenceLength <= config.maxPositionEmbeddings
  )) {
    throw new InvalidOptionError(`--batch ${batchSize} --seq ${sequenceLength} must be positive integers, --seq at most ${config.maxPositionEmbeddings}`, {
      option: 'batch',
    });
  }
  const tokens = batchSize * sequenceLength;
  if (options.workers > 1) return runParallelStepBenchmark({ ...options, config, shape: { ...shape, batchSize, sequenceLength } });

  const selection = await selectBackend({ prefer: options.backend as BackendName, strict: true });
  options.log(`backend ${selection.reason}`);
  const model = DecoderModel.create(config, { seed: 0 });
  options.log(
    `shape ${shape.name}: ${config.family} family, ${model.parameterCount().toLocaleString('en-US')} parameters, batch ${batchSize} x ${sequenceLength} = ${tokens} tokens a step`,
  );
  const countsDispatches = options.backend === 'webgpu' && installDispatchCounter();
  const precision = options.precision ?? 'f32';
  const choice = resolveActivePrecision(precision);
  options.log(`precision ${choice.used}${choice.reason ? ` (${precision} asked: ${choice.reason})` : ''}`);
  const optimizer = benchOptimizer(model, precision);
  const batch = syntheticBatch(batchSize, sequenceLength, config.vocabSize);
  const step = () => optimizer.step(model, [batch], false, BENCH_ADAMW);
  const stepMs: number[] = [];
  const cpuMs: number[] = [];
  const losses: number[] = [];
  const stepDispatches: DispatchCounts[] = [];
  for (let index = 0; index < options.warmup + options.steps; index++) {
    const started = performance.now();
    const cpuStarted = processCpuMs();
    const countedBefore = dispatchCounts();
    const outcome = await step();
    const elapsed = performance.now() - started;
    const cpu = processCpuMs() - cpuStarted;
    const dispatched = dispatchCountsBetween(countedBefore, dispatchCounts());
    losses.push(outcome.loss);
    if (index >= options.warmup) {
      stepMs.push(elapsed);
      cpuMs.push(cpu);
      stepDispatches.push(dispatched);
    }
    options.log(
      `step ${index + 1}${index < options.warmup ? ' (warm-up)' : ''}: ${elapsed.toFixed(1)} ms (cpu ${cpu.toFixed(1)} ms), loss ${outcome.loss.toFixed(4)}${countsDispatches ? `, ${dispatched.total} dispatches` : ''}`,
    );
  }
  let dispatches: StepBenchmarkResult['dispatches'];
  if (countsDispatches) {
    // Per layer: the same step on a model one layer shorter, the difference of the two counts.
    const perStep = stepDispatches.sort((a, b) => a.total - b.total)[Math.floor(stepDispatches.length / 2)]!;
    const full = await dispatchesOfOneStep(config, batch, precision);
    const shorter = config.numHiddenLayers > 1 ? await dispatchesOfOneStep({ ...config, numHiddenLayers: config.numHiddenLayers - 1 }, batch, precision) : null;
    dispatches = { perStep, perLayer: shorter === null ? Number.NaN : full.total - shorter.total };
    options.log(
      `dispatches_per_step=${perStep.total} ours=${perStep.ours} stock=${perStep.stock} compute_passes=${perStep.computePasses} dispatches_per_layer=${dispatches.perLayer} (${config.numHiddenLayers} layers, ${full.total - config.numHiddenLayers * dispatches.perLayer} outside the layers)`,
    );
  }
  if (options.profile) {
    options.log(describeKernelTimer());
    const started = performance.now();
    const rows = await profileKernels(() => {
      const gradients = optimizer.gradients(model, [batch], false, tokens);
      tf.dispose([gradients.loss, ...gradients.grads]);
    });
    if (options.backend === 'webgpu') {
      const backend = getWebGPUBackend();
      backend.submitQueue();
      await backend.device.queue.onSubmittedWorkDone();
    }
    const wallMs = performance.now() - started;
    const total = rows.reduce((sum, row) => sum + row.milliseconds, 0);
    options.log(`kernel profile of one forward + backward (${total.toFixed(1)} ms in kernels, ${wallMs.toFixed(1)} ms wall-clock with the queue drained):`);
    for (const row of rows.slice(0, 30)) options.log(`  ${row.milliseconds.toFixed(2).padStart(9)} ms ${String(row.calls).padStart(4)}x  ${row.kernel}`);
  }
  optimizer.dispose();
  model.dispose();
  if (options.backend === 'webgpu') {
    // Every WGSL program compiled and the device reported no error (both throw otherwise).
    await checkCompiledPrograms();
    throwIfDeviceFailed('the benchmark');
    options.log(`shaders_compiled=ok (${pipelineCacheSize(getWebGPUBackend().device)} WGSL pipelines, no device error)`);
  }
  options.log(`tensors alive: ${tf.memory().numTensors}`);
  const msPerStep = median(stepMs);
  return { msPerStep, tokensPerSecond: (tokens * 1000) / msPerStep, cpuMsPerStep: median(cpuMs), stepMs, losses, ...(dispatches ? { dispatches } : {}) };
}
