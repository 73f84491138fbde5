/**
 * Training throughput end to end through trainConditionedSFT (template rendering, tokenizing, loss
 * masking, bucketing, metrics and events included) next to the bare optimizer step, in one run, on
 * the same model shape and batch shape: every example is cut to exactly T tokens, so both train
 * B × T tokens a step and the difference is the trainer's own overhead.
 */
import { DecoderModel, parseModelConfig, selectBackend, trainConditionedSFT, type BackendName, type ModelConfig } from '@steerlm/sft';
import { Optimizer, trainableSet } from '@steerlm/sft/trainer';
import { charTokenizer, InvalidOptionError } from '@steerlm/core';
import { median } from './median';
import { processCpuMs } from './process-cpu-ms';
import { BENCH_ADAMW } from './run-step-benchmark';
import { stepShape, STEP_SHAPES, type StepShape } from './step-shapes';
import { syntheticBatch } from './synthetic-batch';
import { syntheticConversations } from './synthetic-conversations';

/** What the trainer benchmark runs. */
export interface TrainerBenchmarkOptions {
  shape: string;
  backend: string;
  steps: number;
  warmup: number;
  log: (line: string) => void;
}

/** Median wall and CPU milliseconds of a series of steps. */
export interface StepTimes {
  msPerStep: number;
  cpuMsPerStep: number;
}

/** The trainer benchmark's figures. */
export interface TrainerBenchmarkResult {
  /** Bare Optimizer.step on a synthetic batch (median of the runs before and after the trainer). */
  bare: StepTimes;
  /** One iteration of trainConditionedSFT's step loop (median interval between step starts). */
  trainer: StepTimes;
  /** Tokens a second of the bare step and of the trainer's loop, and the trainer's share lost. */
  bareTokensPerSecond: number;
  trainerTokensPerSecond: number;
  /** The trainer's own summary.tokensPerSecond (whole run: tokenizing and warm-up included). */
  trainerSummaryTokensPerSecond: number;
  overhead: number;
}

async function bareSteps(config: ModelConfig, shape: StepShape, count: number, warmup: number): Promise<StepTimes> {
  const model = DecoderModel.create(config, { seed: 0 });
  const optimizer = new Optimizer(trainableSet(model));
  const batch = syntheticBatch(shape.batchSize, shape.sequenceLength, config.vocabSize);
  const wall: number[] = [];
  const cpu: number[] = [];
  for (let index = 0; index < warmup + count; index++) {
    const started = performance.now();
    const cpuStarted = processCpuMs();
    await optimizer.step(model, [batch], false, BENCH_ADAMW);
    if (index >= warmup) {
      wall.push(performance.now() - started);
      cpu.push(processCpuMs() - cpuStarted);
    }
  }
  optimizer.dispose();
  model.dispose();
  return { msPerStep: median(wall), cpuMsPerStep: median(cpu) };
}

async function trainerSteps(
  config: ModelConfig,
  shape: StepShape,
  count: number,
  warmup: number,
): Promise<StepTimes & { summaryTokensPerSecond: number; tokensPerStep: number }> {
  const model = DecoderModel.create(config, { seed: 0 });
  const steps = warmup + count + 1;
  const starts: Array<{ wall: number; cpu: number }> = [];
  const { summary } = await trainConditionedSFT({
    model,
    tokenizer: charTokenizer(),
    train: syntheticConversations(shape.batchSize * steps, shape.sequenceLength * 2),
    maxSequenceLength: shape.sequenceLength,
    batchSize: shape.batchSize,
    maxSteps: steps,
    learningRate: BENCH_ADAMW.learningRate,
    warmupSteps: 0,
    onEvent: (event) => {
      if (event.type === 'step-start') starts.push({ wall: performance.now(), cpu: processCpuMs() });
    },
  });
  model.dispose();
  const wall: number[] = [];
  const cpu: number[] = [];
  for (let index = warmup + 1; index < starts.length; index++) {
    wall.push(starts[index]!.wall - starts[index - 1]!.wall);
    cpu.push(starts[index]!.cpu - starts[index - 1]!.cpu);
  }
  const tokensPerStep = (summary.tokensPerSecond * summary.elapsedMs) / 1000 / summary.steps;
  return { msPerStep: median(wall), cpuMsPerStep: median(cpu), summaryTokensPerSecond: summary.tokensPerSecond, tokensPerStep };
}

/** Returns the bare-step and trainer figures after logging them. */
export async function runTrainerBenchmark(options: TrainerBenchmarkOptions): Promise<TrainerBenchmarkResult> {
  const shape = stepShape(options.shape);
  if (!shape) throw new InvalidOptionError(`unknown shape "${options.shape}"`, { option: 'shape', hint: `use one of ${Object.keys(STEP_SHAPES).join(', ')}` });
  const selection = await selectBackend({ prefer: options.backend as BackendName, strict: true });
  options.log(`backend ${selection.reason}`);
  const config = parseModelConfig(shape.config);
  const tokens = shape.batchSize * shape.sequenceLength;
  const before = await bareSteps(config, shape, options.steps, options.warmup);
  options.log(`bare step (before): ${before.msPerStep.toFixed(1)} ms, cpu ${before.cpuMsPerStep.toFixed(1)} ms`);
  const trainer = await trainerSteps(config, shape, options.steps, options.warmup);
  options.log(
    `trainConditionedSFT step loop: ${trainer.msPerStep.toFixed(1)} ms, cpu ${trainer.cpuMsPerStep.toFixed(1)} ms; ${trainer.tokensPerStep.toFixed(0)} tokens a step; whole run ${trainer.summaryTokensPerSecond.toFixed(1)} tokens/s`,
  );
  const after = await bareSteps(config, shape, options.steps, options.warmup);
  options.log(`bare step (after): ${after.msPerStep.toFixed(1)} ms, cpu ${after.cpuMsPerStep.toFixed(1)} ms`);
  const bare = { msPerStep: (before.msPerStep + after.msPerStep) / 2, cpuMsPerStep: (before.cpuMsPerStep + after.cpuMsPerStep) / 2 };
  const bareTokensPerSecond = (tokens * 1000) / bare.msPerStep;
  const trainerTokensPerSecond = (trainer.tokensPerStep * 1000) / trainer.msPerStep;
  return {
    bare,
    trainer,
    bareTokensPerSecond,
    trainerTokensPerSecond,
    trainerSummaryTokensPerSecond: trainer.summaryTokensPerSecond,
    overhead: 1 - trainerTokensPerSecond / bareTokensPerSecond,
  };
}
