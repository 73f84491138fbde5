import { appendFile, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  InvalidOptionError,
  ProgressTracker,
  STEERLM,
  TrainingError,
  type AttributeSchema,
  type Conversation,
  type ProgressEvent,
  type ProgressListener,
  type PromptTemplate,
  type Tokenizer,
  seededRandom,
} from '@steerlm/core';
import type { DecoderModel, LoraConfig } from '../models';
import { dropAttributes } from './attribute-dropout';
import { bucketBatches, packedBatches, type TrainingBatch } from './batching';
import { pruneCheckpoints, restoreCheckpoint, writeCheckpoint, type TrainingPosition } from './checkpoint';
import { EventQueue } from './event-queue';
import { learningRateAt } from './learning-rate-schedule';
import { lossCurveSvg } from './loss-curve-svg';
import { tokenizeConversation, type TokenizedExample } from './loss-mask';
import { trainingFingerprint, type RunFingerprint } from './run-fingerprint';
import { checkResumable, findResumeCheckpoint, prepareRunFolder, RUN_STATUS_FILE, truncateMetrics, writeRunStatus, type RunStatus } from './run-folder';
import { batchTokenLosses, Optimizer, trainableSet } from './train-step';

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
  /** Consecutive non-finite steps tolerated before stopping with a TrainingError [3]. */
  maxConsecutiveNonFinite?: number;
  onEvent?: ProgressListener;
  signal?: AbortSignal;
}

export interface TrainSummary {
  steps: number;
  epochs: number;
  records: number;
  droppedRecords: number;
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
}

async function collect(source: Iterable<Conversation> | AsyncIterable<Conversation>): Promise<Conversation[]> {
  const out: Conversation[] = [];
  for await (const item of source as AsyncIterable<Conversation>) out.push(item);
  return out;
}

function positive(value: number | undefined, fallback: number, option: string, integer = true): number {
  const resolved = value ?? fallback;
  if (!(resolved > 0) || (integer && !Number.isInteger(resolved))) throw new InvalidOptionError(`${option} must be a positive ${integer ? 'integer' : 'number'}, got ${resolved}`, { option });
  return resolved;
}

function tokenizeAll(conversations: readonly Conversation[], options: TrainConditionedSFTOptions, random?: () => number) {
  const examples: TokenizedExample[] = [];
  let dropped = 0;
  for (const conversation of conversations) {
    const source = random && (options.attributeDropout ?? 0) > 0 ? dropAttributes(conversation, options.attributeDropout!, random) : conversation;
    const example = tokenizeConversation(source, options.tokenizer, {
      schema: options.schema ?? STEERLM,
      multiTurn: options.multiTurn ?? true,
      ...(options.template ? { template: options.template } : {}),
      ...(options.maxSequenceLength !== undefined ? { maxSequenceLength: options.maxSequenceLength } : {}),
      truncationSide: options.truncationSide ?? 'right',
    });
    if (example) examples.push(example);
    else dropped++;
  }
  return { examples, dropped };
}

/**
 * Trains a decoder with attribute-conditioned SFT (SteerLM step 3) and returns a summary; the model
 * is trained in place. Progress arrives through `onEvent` (or use `trainConditionedSFTEvents`).
 */
export async function trainConditionedSFT(options: TrainConditionedSFTOptions): Promise<{ model: DecoderModel; summary: TrainSummary }> {
  const seed = options.seed ?? 0;
  const batchSize = positive(options.batchSize, 8, 'batchSize');
  const accumulation = positive(options.gradientAccumulation, 1, 'gradientAccumulation');
  const epochs = positive(options.epochs, 1, 'epochs');
  const maxPositions = options.model.config.maxPositionEmbeddings;
  const maxSequenceLength = positive(options.maxSequenceLength, Math.min(512, maxPositions), 'maxSequenceLength');
  if (maxSequenceLength > maxPositions) {
    throw new InvalidOptionError(`maxSequenceLength ${maxSequenceLength} exceeds the model's ${maxPositions} positions`, { option: 'maxSequenceLength', hint: `use at most ${maxPositions}` });
  }
  const learningRate = positive(options.learningRate, 3e-4, 'learningRate', false);
  const packed = (options.batching ?? 'buckets') === 'packed';
  const maxNonFinite = positive(options.maxConsecutiveNonFinite, 3, 'maxConsecutiveNonFinite');
  const dropout = options.attributeDropout ?? 0;
  if (dropout < 0 || dropout >= 1) throw new InvalidOptionError(`attributeDropout must be in [0, 1), got ${dropout}`, { option: 'attributeDropout' });
  const optionsWithLength = { ...options, maxSequenceLength };
  if (options.outputDir) await prepareRunFolder(options.outputDir, { resume: options.resume !== undefined, overwrite: options.overwrite ?? false });

  const trainConversations = await collect(options.train);
  const validationConversations = options.validation ? await collect(options.validation) : [];
  const firstPass = tokenizeAll(trainConversations, optionsWithLength);
  if (firstPass.examples.length === 0) {
    throw new TrainingError(`none of the ${trainConversations.length} training records has a trained token`, { hint: 'check that records have assistant turns and that maxSequenceLength keeps them' });
  }
  const validation = tokenizeAll(validationConversations, optionsWithLength).examples;

  if (options.lora && options.model.adapters.size === 0) options.model.addLora(options.lora, { seed });
  const optimizer = new Optimizer(trainableSet(options.model, { freezeEmbeddings: options.freezeEmbeddings ?? false }));
  const epochBatches = (epoch: number): TrainingBatch[] => {
    const examples = dropout > 0 ? tokenizeAll(trainConversations, optionsWithLength, seededRandom(seed * 7919 + epoch)).examples : firstPass.examples;
    const random = seededRandom(seed * 104729 + epoch);
    return packed ? packedBatches(examples, { batchSize, sequenceLength: maxSequenceLength, random }) : bucketBatches(examples, { batchSize, random });
  };
  const batchesPerEpoch = epochBatches(0).length;
  const stepsPerEpoch = Math.ceil(batchesPerEpoch / accumulation);
  const totalSteps = Math.min(options.maxSteps ?? Infinity, stepsPerEpoch * epochs);
  const schedule = {
    learningRate,
    warmupSteps: options.warmupSteps ?? Math.min(100, Math.floor(totalSteps / 10)),
    totalSteps,
    minLearningRate: options.minLearningRate ?? learningRate / 10,
  };
  const fingerprint = trainingFingerprint(trainConversations, options, { seed, batchSize, accumulation, epochs, maxSequenceLength, learningRate, packed, dropout });

  let position: TrainingPosition = { step: 0, epoch: 0, batchInEpoch: 0, skippedSteps: 0 };
  let lastCheckpoint: string | undefined;
  let resumedFrom: { checkpoint: string; step: number } | undefined;
  if (options.resume) {
    const folder = await findResumeCheckpoint(options.resume);
    await checkResumable(folder, fingerprint);
    const state = await restoreCheckpoint(folder, optimizer);
    position = { ...state.position };
    lastCheckpoint = folder;
    resumedFrom = { checkpoint: folder, step: position.step };
  }

  const outputDir = options.outputDir;
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
  const lossCurve: { step: number; loss: number }[] = [];
  const validationCurve: { step: number; loss: number }[] = [];
  const started = performance.now();
  let tokensSeen = 0;
  let finalLoss = Number.NaN;
  let validationLoss: number | undefined;
  let consecutiveNonFinite = 0;

  const evaluate = async (): Promise<{ loss: number; perAttribute: Record<string, number> }> => {
    let sum = 0;
    let count = 0;
    const byValue = new Map<string, { sum: number; count: number }>();
    options.model.training = false;
    for (const batch of bucketBatches(validation, { batchSize, random: seededRandom(seed) })) {
      const losses = await batchTokenLosses(options.model, batch, false);
      batch.examples.forEach((exampleIndex, row) => {
        let rowSum = 0;
        let rowCount = 0;
        for (let t = 0; t < batch.T; t++) {
          if (batch.lossMask[row * batch.T + t]) {
            rowSum += losses[row * batch.T + t]!;
            rowCount++;
          }
        }
        sum += rowSum;
        count += rowCount;
        if (options.perAttributeValidation) {
          for (const label of validation[exampleIndex]!.labels) {
            for (const [name, value] of Object.entries(label)) {
              const key = `${name}=${value}`;
              const entry = byValue.get(key) ?? { sum: 0, count: 0 };
              entry.sum += rowSum;
              entry.count += rowCount;
              byValue.set(key, entry);
            }
          }
        }
      });
    }
    options.model.training = true;
    return { loss: sum / Math.max(1, count), perAttribute: Object.fromEntries([...byValue].map(([key, entry]) => [key, entry.sum / Math.max(1, entry.count)])) };
  };

  const checkpoint = async () => {
    if (!outputDir) return;
    lastCheckpoint = await writeCheckpoint(outputDir, optimizer, { version: 1, position, fingerprint, trainableNames: optimizer.trainable.names, lora: options.model.loraConfig ?? null });
    await pruneCheckpoints(outputDir, options.keepCheckpoints ?? 3);
    tracker.emit({ type: 'checkpoint', job: 'sft', step: position.step, path: lastCheckpoint });
  };

  options.model.training = true;
  let batches = epochBatches(position.epoch);
  try {
    while (position.step < totalSteps) {
      // A turn of the event loop between steps lets a SIGTERM handler (or any timer) run and abort.
      await new Promise<void>((resolve) => setImmediate(resolve));
      if (options.signal?.aborted) break;
      if (position.batchInEpoch >= batches.length) {
        position = { ...position, epoch: position.epoch + 1, batchInEpoch: 0 };
        batches = epochBatches(position.epoch);
      }
      const micro = batches.slice(position.batchInEpoch, position.batchInEpoch + accumulation);
      const lr = learningRateAt(schedule, position.step);
      tracker.emit({ type: 'step-start', job: 'sft', step: position.step + 1, total: totalSteps });
      options.model.dropoutSeed = seed * 1_000_003 + position.step * 4096;
      const outcome = await optimizer.step(options.model, micro, packed, {
        learningRate: lr,
        weightDecay: options.weightDecay ?? 0.01,
        maxGradNorm: options.maxGradNorm ?? 1,
        beta1: options.beta1 ?? 0.9,
        beta2: options.beta2 ?? 0.999,
      });
      const loss = outcome.loss;
      const nonFinite = outcome.skipped;
      position = { ...position, step: position.step + 1, batchInEpoch: position.batchInEpoch + micro.length, skippedSteps: position.skippedSteps + (nonFinite ? 1 : 0) };
      if (nonFinite) {
        consecutiveNonFinite++;
        tracker.emit({ type: 'warning', job: 'sft', step: position.step, message: `non-finite loss or gradient at step ${position.step}; the update was skipped` });
        if (consecutiveNonFinite >= maxNonFinite) {
          throw new TrainingError(`loss or gradients were not finite for ${consecutiveNonFinite} steps in a row, up to step ${position.step}`, {
            step: position.step,
            ...(lastCheckpoint ? { checkpoint: lastCheckpoint } : {}),
            hint: lastCheckpoint ? `the last good checkpoint is ${lastCheckpoint}; lower the learning rate and resume from it` : 'lower the learning rate or check the data',
          });
        }
      } else {
        consecutiveNonFinite = 0;
        finalLoss = loss;
        lossCurve.push({ step: position.step, loss });
      }
      tokensSeen += micro.reduce((sum, batch) => sum + batch.keyMask.reduce((a, b) => a + b, 0), 0);
      const elapsedMs = performance.now() - started;
      const metrics = { loss, learningRate: lr, gradNorm: outcome.gradNorm, trainedTokens: outcome.trainedTokens, tokensPerSecond: (tokensSeen * 1000) / Math.max(1, elapsedMs) };
      tracker.step(position.step, 1, metrics);
      if (metricsFile) await appendFile(metricsFile, `${JSON.stringify({ step: position.step, epoch: position.epoch, skipped: nonFinite, ...metrics })}\n`);
      if (validation.length > 0 && options.validationEvery && position.step % options.validationEvery === 0) {
        const result = await evaluate();
        validationLoss = result.loss;
        validationCurve.push({ step: position.step, loss: result.loss });
        tracker.emit({ type: 'evaluation', job: 'sft', step: position.step, metrics: { validationLoss: result.loss, ...result.perAttribute } });
        if (metricsFile) await appendFile(metricsFile, `${JSON.stringify({ step: position.step, validationLoss: result.loss, perAttribute: result.perAttribute })}\n`);
      }
      if (options.checkpointEvery && position.step % options.checkpointEvery === 0 && !nonFinite) await checkpoint();
    }
    if (validation.length > 0) {
      validationLoss = (await evaluate()).loss;
      validationCurve.push({ step: position.step, loss: validationLoss });
    }
    await checkpoint();
    await runStatus(position.step >= totalSteps ? 'completed' : 'interrupted');
  } catch (error) {
    await runStatus('failed', error instanceof Error ? error.message : String(error)).catch(() => undefined);
    throw error;
  } finally {
    options.model.training = false;
    optimizer.dispose();
  }
  if (outputDir) {
    const svg = lossCurveSvg(
      [
        { name: 'train loss', color: '#1f77b4', points: lossCurve.map(({ step, loss }) => [step, loss] as [number, number]) },
        { name: 'validation loss', color: '#d62728', points: validationCurve.map(({ step, loss }) => [step, loss] as [number, number]) },
      ],
      { title: 'conditioned SFT loss' },
    );
    await writeFile(join(outputDir, 'loss-curve.svg'), svg);
  }
  const elapsedMs = performance.now() - started;
  const summary: TrainSummary = {
    steps: position.step,
    epochs: position.epoch + 1,
    records: trainConversations.length,
    droppedRecords: firstPass.dropped,
    trainedTokens: firstPass.examples.reduce((sum, example) => sum + example.trained.filter(Boolean).length, 0),
    skippedSteps: position.skippedSteps,
    finalLoss,
    ...(validationLoss !== undefined ? { validationLoss } : {}),
    tokensPerSecond: (tokensSeen * 1000) / Math.max(1, elapsedMs),
    elapsedMs,
    ...(lastCheckpoint ? { lastCheckpoint } : {}),
    completed: position.step >= totalSteps,
    totalSteps,
    ...(resumedFrom ? { resumedFrom } : {}),
    lossCurve,
  };
  tracker.end({ ...summary, lossCurve: undefined });
  return { model: options.model, summary };
}

/** Runs trainConditionedSFT and returns its progress events as an async iterable beside the result. */
export function trainConditionedSFTEvents(options: TrainConditionedSFTOptions): { events: AsyncIterable<ProgressEvent>; result: Promise<{ model: DecoderModel; summary: TrainSummary }> } {
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
