import { appendFile, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  InvalidOptionError,
  ProgressTracker,
  TrainingError,
  type AttributeSchema,
  type Conversation,
  type ProgressEvent,
  type ProgressListener,
  type PromptTemplate,
  type Tokenizer,
} from '@steerlm/core';
import type { LossScaleOptions } from '../kernels/adamw';
import { hostMatmulEngine, setHostMatmulEngine, type HostMatmulEngine } from '../kernels/host/mlas-ops';
import { resolveActivePrecision, type PrecisionChoice, type TrainingPrecision } from '../kernels/runtime';
import type { DecoderModel, LoraConfig } from '../models';
import { restoreCheckpoint, saveTrainingCheckpoint, type TrainingPosition } from './checkpoint';
import { EventQueue } from './event-queue';
import { learningRateAt } from './learning-rate-schedule';
import { lossCurveSvg } from './loss-curve-svg';
import { trainingFingerprint, type ResolvedTrainingOptions, type RunFingerprint } from './run-fingerprint';
import { checkResumable, findResumeCheckpoint, prepareRunFolder, RUN_STATUS_FILE, truncateMetrics, writeRunStatus, type RunStatus } from './run-folder';
import { SftExamples, tokenizeConversations, type SftTokenizeOptions } from './sft-examples';
import { DataParallelRun } from './data-parallel-run';
import { Optimizer, trainableSet } from './train-step';
import { collectAll, positiveOption, trainingSchedule, trainingSequenceLength } from './training-plan';
import { validationLoss } from './validation-loss';

/** Options of trainConditionedSFT (defaults in brackets). */
export interface TrainConditionedSFTOptions {
  model: DecoderModel;
  tokenizer: Tokenizer;
  /** VALUE_TO_TEXT conversations (core's records from any reader), sync or async. */
  train: Iterable<Conversation> | AsyncIterable<Conversation>;
  validation?: Iterable<Conversation> | AsyncIterable<Conversation>;
  schema?: AttributeSchema;
  /** The chat format whose segments decide the loss masks [steerlmTemplate]; chatmlTemplate trains ChatML. */
  template?: PromptTemplate;
  /** Train on every assistant turn [true] or only the last. */
  multiTurn?: boolean;
  maxSequenceLength?: number;
  truncationSide?: 'left' | 'right';
  /** Probability of dropping each attribute from a label [0]. */
  attributeDropout?: number;
  /** 'buckets' (padded batches of similar length) [default] or 'packed' (records packed per row). */
  batching?: 'buckets' | 'packed';
  batchSize?: number;
  gradientAccumulation?: number;
  epochs?: number;
  /** Stop after this many optimizer steps (overrides epochs when smaller). */
  maxSteps?: number;
  learningRate?: number;
  minLearningRate?: number;
  warmupSteps?: number;
  weightDecay?: number;
  maxGradNorm?: number;
  beta1?: number;
  beta2?: number;
  lora?: LoraConfig;
  freezeEmbeddings?: boolean;
  seed?: number;
  /** Folder for checkpoints, metrics.jsonl and loss-curve.svg. */
  outputDir?: string;
  checkpointEvery?: number;
  keepCheckpoints?: number;
  /** A checkpoint folder, or the output folder (its newest checkpoint), to continue from. */
  resume?: string;
  /** Replace a run already in `outputDir` (without it, or `resume`, such a folder is refused). */
  overwrite?: boolean;
  validationEvery?: number;
  /** Also report validation loss per attribute value. */
  perAttributeValidation?: boolean;
  /**
   * The kernels of the matmuls on the cpu and wasm backends ['auto']: 'mlas' (onnxruntime's native
   * GEMM, several times XNNPACK's speed; the backend's own where onnxruntime-node does not load),
   * 'backend' (tfjs's own: XNNPACK on wasm), 'auto' (the process's choice: STEERLM_HOST_MATMUL, else mlas).
   * Set for the run and restored after it; ignored on webgpu and tensorflow.
   */
  hostMatmul?: 'auto' | HostMatmulEngine;
  /**
   * Consecutive non-finite steps tolerated before stopping with a TrainingError [3]. In mixed
   * precision a gradient overflow with a finite loss is the loss scaler's business (the step is
   * skipped and the scale halved) and counts only once the scale is below 1.
   */
  maxConsecutiveNonFinite?: number;
  /**
   * 'f32' [default] or 'mixed': f16 storage of the weights the matmuls read (working copies) and of
   * saved activations, f16 matmul operands with f32 accumulation, f32 master weights and AdamW, and
   * dynamic loss scaling. Needs webgpu with shader-f16; elsewhere the run trains in f32 and says why
   * (a warning event and summary.precision).
   */
  precision?: TrainingPrecision;
  /** Dynamic loss scaling in mixed precision (GradScaler's defaults: 2^16, ×2 every 2000 good steps, ×0.5 on overflow). */
  lossScale?: LossScaleOptions;
  /**
   * Data-parallel worker threads on the cpu and wasm backends [1: this thread]: every step's rows are
   * split across K model replicas, the gradients reduced and AdamW sharded in shared memory
   * (DataParallelTrainer), the same steps as one thread up to float summation order. Full
   * fine-tuning in f32 only (not with lora, freezeEmbeddings or precision 'mixed').
   */
  workers?: number;
  onEvent?: ProgressListener;
  signal?: AbortSignal;
}

export interface TrainSummary {
  steps: number;
  /** Epochs trained: steps / steps per epoch, to 2 decimals (0.28 after 20 of 72 steps). */
  epochs: number;
  records: number;
  droppedRecords: number;
  /** Tokens trained by this run's optimizer steps (the loss-masked positions; skipped steps excluded). */
  trainedTokens: number;
  skippedSteps: number;
  finalLoss: number;
  validationLoss?: number;
  tokensPerSecond: number;
  elapsedMs: number;
  lastCheckpoint?: string;
  /** Whether all planned steps were done (false when stopped by `signal`). */
  completed: boolean;
  totalSteps: number;
  /** The checkpoint a resumed run continued from, and its step. */
  resumedFrom?: { checkpoint: string; step: number };
  lossCurve: { step: number; loss: number }[];
  /** The precision asked for and the one used (with the reason when they differ). */
  precision: PrecisionChoice;
  /** In mixed precision: the loss scale at the end of the run. */
  lossScale?: number;
  /** The threads the steps ran on: 1 (this thread), or the data-parallel workers of `workers`. */
  workers: number;
}

/** The options of a run resolved and checked (defaults applied): those the fingerprint records, and the non-finite limit. */
interface SftSettings extends ResolvedTrainingOptions {
  maxNonFinite: number;
}

/** Returns the run's settings with defaults applied; throws InvalidOptionError for a bad value. */
function resolveSettings(options: TrainConditionedSFTOptions): SftSettings {
  const dropout = options.attributeDropout ?? 0;
  if (dropout < 0 || dropout >= 1) throw new InvalidOptionError(`attributeDropout must be in [0, 1), got ${dropout}`, { option: 'attributeDropout' });
  return {
    seed: options.seed ?? 0,
    batchSize: positiveOption(options.batchSize, 8, 'batchSize'),
    accumulation: positiveOption(options.gradientAccumulation, 1, 'gradientAccumulation'),
    epochs: positiveOption(options.epochs, 1, 'epochs'),
    maxSequenceLength: trainingSequenceLength(options.model, options.maxSequenceLength),
    learningRate: positiveOption(options.learningRate, 3e-4, 'learningRate', false),
    packed: (options.batching ?? 'buckets') === 'packed',
    maxNonFinite: positiveOption(options.maxConsecutiveNonFinite, 3, 'maxConsecutiveNonFinite'),
    dropout,
  };
}

/** Where a run starts: step 0, or the checkpoint it resumes (restored into `optimizer` after the fingerprint check). */
async function startingPosition(
  resume: string | undefined,
  optimizer: Optimizer,
  fingerprint: string,
): Promise<{ position: TrainingPosition; resumedFrom?: { checkpoint: string; step: number } }> {
  if (!resume) return { position: { step: 0, epoch: 0, batchInEpoch: 0, skippedSteps: 0 } };
  const folder = await findResumeCheckpoint(resume);
  await checkResumable(folder, fingerprint);
  const state = await restoreCheckpoint(folder, optimizer);
  return { position: { ...state.position }, resumedFrom: { checkpoint: folder, step: state.position.step } };
}

/** Returns the loss-curve SVG of a run's train and validation losses. */
function sftLossCurve(train: readonly { step: number; loss: number }[], validation: readonly { step: number; loss: number }[]): string {
  return lossCurveSvg(
    [
      { name: 'train loss', color: '#1f77b4', points: train.map(({ step, loss }) => [step, loss] as [number, number]) },
      { name: 'validation loss', color: '#d62728', points: validation.map(({ step, loss }) => [step, loss] as [number, number]) },
    ],
    { title: 'conditioned SFT loss' },
  );
}

/**
 * Trains a decoder with attribute-conditioned SFT (SteerLM step 3) and returns a summary; the model
 * is trained in place. Progress arrives through `onEvent` (or use `trainConditionedSFTEvents`).
 * The steps: settings, run folder, data (SftExamples), optimizer, plan, resume, then the loop of
 * optimizer steps with metrics, validation (validationLoss) and checkpoints.
 */
export async function trainConditionedSFT(options: TrainConditionedSFTOptions): Promise<{ model: DecoderModel; summary: TrainSummary }> {
  const engine = options.hostMatmul ?? 'auto';
  const previousEngine = engine === 'auto' ? hostMatmulEngine() : setHostMatmulEngine(engine);
  try {
    return await trainWithEngine(options);
  } finally {
    setHostMatmulEngine(previousEngine);
  }
}

async function trainWithEngine(options: TrainConditionedSFTOptions): Promise<{ model: DecoderModel; summary: TrainSummary }> {
  const settings = resolveSettings(options);
  const { seed, batchSize, accumulation, packed } = settings;
  // Not in the settings: the fingerprint leaves it out, so a run may resume with another worker count.
  const workers = positiveOption(options.workers, 1, 'workers');
  if (workers > 1) DataParallelRun.check(workers, options.model, { lora: options.lora, freezeEmbeddings: options.freezeEmbeddings });
  const outputDir = options.outputDir;
  if (outputDir) await prepareRunFolder(outputDir, { resume: options.resume !== undefined, overwrite: options.overwrite ?? false });

  const tokenizing: SftTokenizeOptions = {
    tokenizer: options.tokenizer,
    schema: options.schema,
    template: options.template,
    multiTurn: options.multiTurn,
    maxSequenceLength: settings.maxSequenceLength,
    truncationSide: options.truncationSide,
    attributeDropout: settings.dropout,
  };
  const trainConversations = await collectAll(options.train);
  const data = new SftExamples(trainConversations, tokenizing, { batchSize, packed, seed });
  const validation = options.validation ? tokenizeConversations(await collectAll(options.validation), tokenizing).examples : [];

  if (options.lora && options.model.adapters.size === 0) options.model.addLora(options.lora, { seed });
  const optimizer = new Optimizer(trainableSet(options.model, { freezeEmbeddings: options.freezeEmbeddings ?? false }));
  const stepsPerEpoch = Math.ceil(data.epochBatches(0).length / accumulation);
  const totalSteps = Math.min(options.maxSteps ?? Infinity, stepsPerEpoch * settings.epochs);
  const schedule = trainingSchedule(totalSteps, settings.learningRate, options);
  const { maxNonFinite: _notFingerprinted, ...fingerprinted } = settings;
  const fingerprint = trainingFingerprint(trainConversations, options, fingerprinted);

  const start = await startingPosition(options.resume, optimizer, fingerprint);
  let position = start.position;
  const precision = resolveActivePrecision(options.precision);
  // After the restore: the f16 working copies are made from the weights as they are now.
  if (precision.used === 'mixed') optimizer.useMixedPrecision([...options.model.parameters.values()], options.lossScale);
  let lossScale = precision.used === 'mixed' ? (options.lossScale?.initScale ?? 2 ** 16) : undefined;
  const resumedFrom = start.resumedFrom;
  let lastCheckpoint = resumedFrom?.checkpoint;

  if (outputDir) await mkdir(outputDir, { recursive: true });
  const metricsFile = outputDir ? join(outputDir, 'metrics.jsonl') : undefined;
  // Rows after the resumed checkpoint (and a line torn by a kill) are written again by this run.
  if (metricsFile && resumedFrom) await truncateMetrics(metricsFile, resumedFrom.step);
  const runStatus = async (status: RunStatus['status'], error?: string) => {
    if (!outputDir) return;
    await writeRunStatus(join(outputDir, RUN_STATUS_FILE), {
      status,
      completed: status === 'completed',
      steps: position.step,
      totalSteps,
      ...(resumedFrom ? { resumedFrom } : {}),
      ...(error ? { error } : {}),
      fingerprint: JSON.parse(fingerprint) as RunFingerprint,
    });
  };
  await runStatus('running');
  const tracker = new ProgressTracker('sft', { total: totalSteps, unit: 'steps', listeners: [options.onEvent] });
  if (precision.reason) tracker.emit({ type: 'warning', job: 'sft', step: position.step, message: `precision ${precision.requested}: ${precision.reason}` });
  const lossCurve: { step: number; loss: number }[] = [];
  const validationCurve: { step: number; loss: number }[] = [];
  const started = performance.now();
  let tokensSeen = 0;
  let trainedTokens = 0;
  let finalLoss = Number.NaN;
  let validationLossValue: number | undefined;
  let consecutiveNonFinite = 0;
  // With workers the steps run there; this thread's model and optimizer are brought up to date when they are read.
  let parallel: DataParallelRun | undefined;
  const evaluate = () => {
    parallel?.syncModel();
    return validationLoss(options.model, validation, { batchSize, seed, perAttribute: options.perAttributeValidation });
  };

  const checkpoint = async () => {
    if (!outputDir) return;
    await parallel?.syncAll();
    lastCheckpoint = await saveTrainingCheckpoint(outputDir, optimizer, options.model, { position, fingerprint, keep: options.keepCheckpoints }, tracker);
  };

  options.model.training = true;
  let batches = data.epochBatches(position.epoch);
  try {
    if (workers > 1) parallel = await DataParallelRun.start(options.model, optimizer, workers);
    while (position.step < totalSteps) {
      // A turn of the event loop between steps lets a SIGTERM handler (or any timer) run and abort.
      await new Promise<void>((resolve) => setImmediate(resolve));
      if (options.signal?.aborted) break;
      if (position.batchInEpoch >= batches.length) {
        position = { ...position, epoch: position.epoch + 1, batchInEpoch: 0 };
        batches = data.epochBatches(position.epoch);
      }
      const micro = batches.slice(position.batchInEpoch, position.batchInEpoch + accumulation);
      const lr = learningRateAt(schedule, position.step);
      tracker.emit({ type: 'step-start', job: 'sft', step: position.step + 1, total: totalSteps });
      options.model.dropoutSeed = seed * 1_000_003 + position.step * 4096;
      const adamw = {
        learningRate: lr,
        weightDecay: options.weightDecay ?? 0.01,
        maxGradNorm: options.maxGradNorm ?? 1,
        beta1: options.beta1 ?? 0.9,
        beta2: options.beta2 ?? 0.999,
      };
      const outcome = parallel ? await parallel.step(micro, packed, adamw) : await optimizer.step(options.model, micro, packed, adamw);
      const loss = outcome.loss;
      const nonFinite = outcome.skipped;
      if (outcome.lossScale) lossScale = outcome.lossScale.nextScale;
      // A gradient overflow in mixed precision: the scaler halved the scale; not counted while it is ≥ 1.
      const overflow = nonFinite && outcome.lossScale !== undefined && Number.isFinite(loss) && outcome.lossScale.nextScale >= 1;
      position = {
        ...position,
        step: position.step + 1,
        batchInEpoch: position.batchInEpoch + micro.length,
        skippedSteps: position.skippedSteps + (nonFinite ? 1 : 0),
      };
      if (nonFinite) {
        if (!overflow) consecutiveNonFinite++;
        tracker.emit({
          type: 'warning',
          job: 'sft',
          step: position.step,
          message: overflow
            ? `gradient overflow at step ${position.step} with loss scale ${outcome.lossScale!.scale}; the update was skipped and the scale lowered to ${outcome.lossScale!.nextScale}`
            : `non-finite loss or gradient at step ${position.step}; the update was skipped`,
        });
        if (consecutiveNonFinite >= settings.maxNonFinite) {
          throw new TrainingError(`loss or gradients were not finite for ${consecutiveNonFinite} steps in a row, up to step ${position.step}`, {
            step: position.step,
            ...(lastCheckpoint ? { checkpoint: lastCheckpoint } : {}),
            hint: lastCheckpoint
              ? `the last good checkpoint is ${lastCheckpoint}; lower the learning rate and resume from it`
              : 'lower the learning rate or check the data',
          });
        }
      } else {
        consecutiveNonFinite = 0;
        finalLoss = loss;
        trainedTokens += outcome.trainedTokens;
        lossCurve.push({ step: position.step, loss });
      }
      tokensSeen += micro.reduce((sum, batch) => sum + batch.keyMask.reduce((a, b) => a + b, 0), 0);
      const elapsedMs = performance.now() - started;
      const metrics = {
        loss,
        learningRate: lr,
        gradNorm: outcome.gradNorm,
        trainedTokens: outcome.trainedTokens,
        tokensPerSecond: (tokensSeen * 1000) / Math.max(1, elapsedMs),
        // Mixed precision: the scale this step used and the skipped steps so far.
        ...(outcome.lossScale ? { lossScale: outcome.lossScale.scale, skippedSteps: position.skippedSteps } : {}),
      };
      tracker.step(position.step, 1, metrics);
      if (metricsFile) await appendFile(metricsFile, `${JSON.stringify({ step: position.step, epoch: position.epoch, skipped: nonFinite, ...metrics })}\n`);
      if (validation.length > 0 && options.validationEvery && position.step % options.validationEvery === 0) {
        const result = await evaluate();
        validationLossValue = result.loss;
        validationCurve.push({ step: position.step, loss: result.loss });
        tracker.emit({ type: 'evaluation', job: 'sft', step: position.step, metrics: { validationLoss: result.loss, ...result.perAttribute } });
        if (metricsFile)
          await appendFile(metricsFile, `${JSON.stringify({ step: position.step, validationLoss: result.loss, perAttribute: result.perAttribute })}\n`);
      }
      if (options.checkpointEvery && position.step % options.checkpointEvery === 0 && !nonFinite) await checkpoint();
    }
    if (validation.length > 0) {
      validationLossValue = (await evaluate()).loss;
      validationCurve.push({ step: position.step, loss: validationLossValue });
    }
    await checkpoint();
    await runStatus(position.step >= totalSteps ? 'completed' : 'interrupted');
  } catch (error) {
    await runStatus('failed', error instanceof Error ? error.message : String(error)).catch(() => undefined);
    throw error;
  } finally {
    // The model is trained in place: the workers' weights come back before they stop.
    if (parallel) {
      try {
        parallel.syncModel();
      } catch {
        // A failed run's workers are gone; the model keeps its last synced weights.
      }
      await parallel.close();
    }
    options.model.training = false;
    optimizer.dispose();
  }
  if (outputDir) await writeFile(join(outputDir, 'loss-curve.svg'), sftLossCurve(lossCurve, validationCurve));
  const elapsedMs = performance.now() - started;
  const summary: TrainSummary = {
    steps: position.step,
    epochs: Math.round((100 * position.step) / stepsPerEpoch) / 100,
    records: trainConversations.length,
    droppedRecords: data.firstPass.dropped,
    trainedTokens,
    skippedSteps: position.skippedSteps,
    finalLoss,
    ...(validationLossValue !== undefined ? { validationLoss: validationLossValue } : {}),
    tokensPerSecond: (tokensSeen * 1000) / Math.max(1, elapsedMs),
    elapsedMs,
    ...(lastCheckpoint ? { lastCheckpoint } : {}),
    completed: position.step >= totalSteps,
    totalSteps,
    ...(resumedFrom ? { resumedFrom } : {}),
    lossCurve,
    precision,
    ...(lossScale !== undefined ? { lossScale } : {}),
    workers,
  };
  tracker.end({ ...summary, lossCurve: undefined });
  return { model: options.model, summary };
}

/** Runs trainConditionedSFT and returns its progress events as an async iterable beside the result. */
export function trainConditionedSFTEvents(options: TrainConditionedSFTOptions): {
  events: AsyncIterable<ProgressEvent>;
  result: Promise<{ model: DecoderModel; summary: TrainSummary }>;
} {
  const queue = new EventQueue<ProgressEvent>();
  const result = trainConditionedSFT({
    ...options,
    onEvent: (event) => {
      options.onEvent?.(event);
      queue.push(event);
    },
  }).finally(() => queue.close());
  return { events: queue, result };
}
