import { InvalidOptionError } from '@steerlm/core';
import type { AnswerMixture } from '@steerlm/evaluators';
import { DECODE_ENGINES, isBackendName, MODEL_FAMILY_NAMES, type BackendName, type DecodeEngineName, type ModelFamilyName } from '@steerlm/sft';

/** The shape of the demo's small decoder, trained from scratch. */
export interface DemoModelShape {
  /** 'gpt2' (LayerNorm, learned positions) or 'llama' (RMSNorm, RoPE, SwiGLU). */
  readonly family: ModelFamilyName;
  readonly hiddenSize: number;
  readonly layers: number;
  readonly heads: number;
}

/** Options of runDemo; every field has a default sized for ≤ 10 minutes on a 2-core CPU. */
export interface DemoOptions {
  /** Seeds the data, the models, training and sampling (default 0). */
  readonly seed?: number;
  /** Where the report, the bootstrap data and the models go (default `runs/steerbench-demo`). */
  readonly outputDir?: string;
  /** SteerBench responses generated for training (default 3000). */
  readonly size?: number;
  /** The share of responses with annotator labels; the APM annotates the rest (default 0.3). */
  readonly labeledFraction?: number;
  /** The probability that an annotator label is off by one (default 0.2). */
  readonly labelNoise?: number;
  /** Shares of correct, declined and wrong answers in the data (default 0.4 / 0.15 / 0.45). */
  readonly mixture?: Partial<AnswerMixture>;
  /** How many facts of SteerBench's table the questions ask about (default 8 of 36). */
  readonly facts?: number;
  /** The BPE vocabulary size asked for (default 1024; training stops earlier when no pair repeats). */
  readonly vocabSize?: number;
  readonly model?: Partial<DemoModelShape>;
  /** Optimizer steps of conditioned SFT (default 900). */
  readonly sftSteps?: number;
  /** Optimizer steps of the plain-SFT baseline (default: sftSteps). */
  readonly baselineSteps?: number;
  readonly batchSize?: number;
  readonly learningRate?: number;
  /** Prompts answered in the bootstrap round (default 128). */
  readonly bootstrapPrompts?: number;
  /** Optimizer steps of fine-tuning on the bootstrap data (default 40). */
  readonly bootstrapSteps?: number;
  /** Prompts per requested value of each steering curve (default 24). */
  readonly steeringPrompts?: number;
  /** Prompts of the correctness comparison (default 72, two per fact). */
  readonly correctnessPrompts?: number;
  /** Sampling temperature of every evaluation and of the bootstrap (default 1: the learned distribution). */
  readonly temperature?: number;
  /** Rows decoded together (default 64). */
  readonly generationBatchSize?: number;
  /** The tfjs backend tried first (default wasm, the fastest on a CPU). */
  readonly backend?: BackendName;
  /** The decode engine of the evaluations and the bootstrap (default auto: onnxruntime where it loads, else tfjs). */
  readonly engine?: DecodeEngineName;
  readonly signal?: AbortSignal;
}

/** DemoOptions with every default filled in. */
export interface ResolvedDemoOptions {
  readonly seed: number;
  readonly outputDir: string;
  readonly size: number;
  readonly labeledFraction: number;
  readonly labelNoise: number;
  readonly mixture: Partial<AnswerMixture>;
  readonly facts: number;
  readonly vocabSize: number;
  readonly model: DemoModelShape;
  readonly sftSteps: number;
  readonly baselineSteps: number;
  readonly batchSize: number;
  readonly learningRate: number;
  readonly bootstrapPrompts: number;
  readonly bootstrapSteps: number;
  readonly steeringPrompts: number;
  readonly correctnessPrompts: number;
  readonly temperature: number;
  readonly generationBatchSize: number;
  readonly backend: BackendName;
  readonly engine: DecodeEngineName;
  readonly signal?: AbortSignal;
}

/** The defaults of runDemo: the embedded SteerBench run of `npm run demo`. */
export const DEFAULT_DEMO_OPTIONS: Omit<ResolvedDemoOptions, 'signal'> = Object.freeze({
  seed: 0,
  outputDir: 'runs/steerbench-demo',
  size: 3000,
  labeledFraction: 0.3,
  labelNoise: 0.2,
  mixture: {},
  facts: 8,
  vocabSize: 1024,
  model: Object.freeze({ family: 'gpt2' as const, hiddenSize: 64, layers: 2, heads: 4 }),
  sftSteps: 900,
  baselineSteps: 900,
  batchSize: 32,
  learningRate: 1e-2,
  bootstrapPrompts: 128,
  bootstrapSteps: 40,
  steeringPrompts: 24,
  correctnessPrompts: 72,
  temperature: 1,
  generationBatchSize: 64,
  backend: 'wasm' as const,
  engine: 'auto' as const,
});

function integer(value: number | undefined, fallback: number, option: string, min: number): number {
  const resolved = value ?? fallback;
  if (!Number.isSafeInteger(resolved) || resolved < min) throw new InvalidOptionError(`${option} must be an integer >= ${min}, got ${resolved}`, { option });
  return resolved;
}

/** Returns the options with defaults filled in, after checking every value. */
export function resolveDemoOptions(options: DemoOptions = {}): ResolvedDemoOptions {
  const defaults = DEFAULT_DEMO_OPTIONS;
  const sftSteps = integer(options.sftSteps, defaults.sftSteps, 'sftSteps', 1);
  const model: DemoModelShape = { ...defaults.model, ...options.model };
  if (!(MODEL_FAMILY_NAMES as readonly string[]).includes(model.family)) {
    throw new InvalidOptionError(
      `model.family must be ${MODEL_FAMILY_NAMES.map((name) => JSON.stringify(name)).join(' or ')}, got ${JSON.stringify(model.family)}`,
      { option: 'model.family' },
    );
  }
  integer(model.hiddenSize, 0, 'model.hiddenSize', 8);
  integer(model.layers, 0, 'model.layers', 1);
  integer(model.heads, 0, 'model.heads', 1);
  if (model.hiddenSize % model.heads !== 0) {
    throw new InvalidOptionError(`model.hiddenSize (${model.hiddenSize}) must be divisible by model.heads (${model.heads})`, { option: 'model.heads' });
  }
  const learningRate = options.learningRate ?? defaults.learningRate;
  if (!(learningRate > 0) || !Number.isFinite(learningRate))
    throw new InvalidOptionError(`learningRate must be a positive number, got ${learningRate}`, { option: 'learningRate' });
  const temperature = options.temperature ?? defaults.temperature;
  if (!(temperature >= 0) || !Number.isFinite(temperature))
    throw new InvalidOptionError(`temperature must be a number >= 0, got ${temperature}`, { option: 'temperature' });
  const backend = options.backend ?? defaults.backend;
  if (!isBackendName(backend))
    throw new InvalidOptionError(`unknown backend ${JSON.stringify(backend)}`, { option: 'backend', hint: 'use tensorflow, webgpu, wasm or cpu' });
  const engine = options.engine ?? defaults.engine;
  if (!DECODE_ENGINES.includes(engine))
    throw new InvalidOptionError(`unknown decode engine ${JSON.stringify(engine)}`, { option: 'engine', hint: `use ${DECODE_ENGINES.join(', ')}` });
  const outputDir = options.outputDir ?? defaults.outputDir;
  if (typeof outputDir !== 'string' || outputDir === '') throw new InvalidOptionError('outputDir must be a non-empty path', { option: 'outputDir' });
  return {
    seed: integer(options.seed, defaults.seed, 'seed', 0),
    outputDir,
    size: integer(options.size, defaults.size, 'size', 10),
    labeledFraction: options.labeledFraction ?? defaults.labeledFraction,
    labelNoise: options.labelNoise ?? defaults.labelNoise,
    mixture: options.mixture ?? defaults.mixture,
    facts: integer(options.facts, defaults.facts, 'facts', 2),
    vocabSize: integer(options.vocabSize, defaults.vocabSize, 'vocabSize', 300),
    model,
    sftSteps,
    baselineSteps: integer(options.baselineSteps, sftSteps, 'baselineSteps', 1),
    batchSize: integer(options.batchSize, defaults.batchSize, 'batchSize', 1),
    learningRate,
    bootstrapPrompts: integer(options.bootstrapPrompts, defaults.bootstrapPrompts, 'bootstrapPrompts', 1),
    bootstrapSteps: integer(options.bootstrapSteps, defaults.bootstrapSteps, 'bootstrapSteps', 0),
    steeringPrompts: integer(options.steeringPrompts, defaults.steeringPrompts, 'steeringPrompts', 1),
    correctnessPrompts: integer(options.correctnessPrompts, defaults.correctnessPrompts, 'correctnessPrompts', 1),
    temperature,
    generationBatchSize: integer(options.generationBatchSize, defaults.generationBatchSize, 'generationBatchSize', 1),
    backend,
    engine,
    ...(options.signal ? { signal: options.signal } : {}),
  };
}
