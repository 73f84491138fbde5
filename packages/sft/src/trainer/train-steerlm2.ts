/**
 * SteerLM 2.0 training (HelpSteer2 paper §4; NeMo-Aligner's GPTSteerLMModel with SteerLM2Dataset):
 * each step takes whole prompts with their n sampled responses, computes the current model's
 * log Qθ(y|a,x) of each response without gradients, the weights w (from the records'
 * log-probabilities) and b (from Qθ and the records' log Q'), and descends
 * −Σ (w − b) · log Qθ(y|a,x) / (mean trained tokens per response), averaged over the step's prompts.
 */
import { appendFile, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { ProgressTracker, TrainingError, seededRandom, type SteerLM2Record } from '@steerlm/core';
import { readFloat32 } from '../backend/read-tensor';
import type { DecoderModel } from '../models';
import type { TrainConditionedSFTOptions } from './train-conditioned-sft';
import { shuffledIndexes } from './batching';
import { listCheckpoints, restoreCheckpoint, saveTrainingCheckpoint, type TrainingPosition } from './checkpoint';
import { learningRateAt } from './learning-rate-schedule';
import { lossCurveSvg } from './loss-curve-svg';
import { collectAll, positiveOption, trainingSchedule, trainingSequenceLength } from './training-plan';
import { steerLM2Group, type SteerLM2Group } from './steerlm2-batches';
import { steerLM2Loss, steerLM2Weights, type SteerLM2Weights } from './steerlm2-objective';
import { batchTensors, Optimizer, trainableSet } from './train-step';
import { crossEntropy } from '../kernels/cross-entropy';

/** Options of trainSteerLM2 (defaults in brackets; the shared ones mean what they mean for trainConditionedSFT). */
export interface TrainSteerLM2Options extends Pick<
  TrainConditionedSFTOptions,
  | 'model'
  | 'tokenizer'
  | 'schema'
  | 'template'
  | 'maxSequenceLength'
  | 'epochs'
  | 'maxSteps'
  | 'minLearningRate'
  | 'warmupSteps'
  | 'weightDecay'
  | 'maxGradNorm'
  | 'beta1'
  | 'beta2'
  | 'lora'
  | 'freezeEmbeddings'
  | 'seed'
  | 'outputDir'
  | 'checkpointEvery'
  | 'keepCheckpoints'
  | 'resume'
  | 'maxConsecutiveNonFinite'
  | 'onEvent'
  | 'signal'
> {
  /** SteerLM 2.0 records (NeMo-Aligner's layout, as the bootstrap writes them), sync or async. */
  train: Iterable<SteerLM2Record> | AsyncIterable<SteerLM2Record>;
  /** Prompts (each with all its responses) per optimizer step [1]. */
  promptsPerStep?: number;
  /** Peak learning rate [1e-5]. */
  learningRate?: number;
}

export interface SteerLM2Summary {
  steps: number;
  epochs: number;
  /** Records (prompts) trained on. */
  records: number;
  /** Records left out because truncation left a response nothing to train. */
  droppedRecords: number;
  responses: number;
  skippedSteps: number;
  finalLoss: number;
  /** Mean KL(w ‖ b) of the last step: how far the model's weighting still is from the target. */
  finalKlDivergence: number;
  elapsedMs: number;
  lastCheckpoint?: string;
  lossCurve: { step: number; loss: number; klDivergence: number }[];
}

/** Returns Σ log Qθ over each row's trained targets [B] (a differentiable tensor). */
export function rowLogProbabilities(model: DecoderModel, group: SteerLM2Group): tf.Tensor1D {
  return tf.tidy(() => {
    const { B, T } = group.batch;
    const { targets, lossMask, ...input } = batchTensors(group.batch, false);
    const losses = crossEntropy(model.logits(input), targets, lossMask);
    return tf.neg(tf.sum(tf.reshape(losses, [B, T]), 1)) as tf.Tensor1D;
  });
}

/** Returns the group's weights given the model's log Qθ per row, in row order (w and b as constants). */
export function groupWeights(group: SteerLM2Group, rowLogModel: ArrayLike<number>): SteerLM2Weights {
  const rows = group.batch.examples;
  const byResponse: number[] = new Array<number>(rows.length);
  rows.forEach((response, row) => (byResponse[response] = rowLogModel[row]!));
  const weights = steerLM2Weights(group.responses, byResponse);
  return {
    target: rows.map((response) => weights.target[response]!),
    baseline: rows.map((response) => weights.baseline[response]!),
    klDivergence: weights.klDivergence,
  };
}

/** Trains a SteerLM model in place on SteerLM 2.0 records and returns a summary. */
export async function trainSteerLM2(options: TrainSteerLM2Options): Promise<{ model: DecoderModel; summary: SteerLM2Summary }> {
  const seed = options.seed ?? 0;
  const promptsPerStep = positiveOption(options.promptsPerStep, 1, 'promptsPerStep');
  const epochs = positiveOption(options.epochs, 1, 'epochs');
  const learningRate = positiveOption(options.learningRate, 1e-5, 'learningRate', false);
  const maxNonFinite = positiveOption(options.maxConsecutiveNonFinite, 3, 'maxConsecutiveNonFinite');
  const maxSequenceLength = trainingSequenceLength(options.model, options.maxSequenceLength);
  const records = await collectAll(options.train);
  const groups: SteerLM2Group[] = [];
  records.forEach((record, index) => {
    const group = steerLM2Group(record, index, options.tokenizer, {
      maxSequenceLength,
      ...(options.schema ? { schema: options.schema } : {}),
      ...(options.template ? { template: options.template } : {}),
    });
    if (group) groups.push(group);
  });
  if (groups.length === 0) {
    throw new TrainingError(`none of the ${records.length} SteerLM 2.0 records has responses left to train`, {
      hint: 'check the records and that maxSequenceLength keeps every response',
    });
  }

  if (options.lora && options.model.adapters.size === 0) options.model.addLora(options.lora, { seed });
  const optimizer = new Optimizer(trainableSet(options.model, { freezeEmbeddings: options.freezeEmbeddings ?? false }));
  const stepsPerEpoch = Math.ceil(groups.length / promptsPerStep);
  const totalSteps = Math.min(options.maxSteps ?? Infinity, stepsPerEpoch * epochs);
  const schedule = trainingSchedule(totalSteps, learningRate, options);
  const fingerprint = JSON.stringify({
    objective: 'steerlm2',
    seed,
    promptsPerStep,
    epochs,
    maxSequenceLength,
    learningRate,
    lora: options.lora ?? null,
    records: records.length,
  });
  const order = (epoch: number) => shuffledIndexes(groups.length, seededRandom(seed * 104729 + epoch));

  let position: TrainingPosition = { step: 0, epoch: 0, batchInEpoch: 0, skippedSteps: 0 };
  let lastCheckpoint: string | undefined;
  if (options.resume) {
    const folder = (await listCheckpoints(options.resume)).reverse()[0] ?? options.resume;
    const state = await restoreCheckpoint(folder, optimizer);
    if (state.fingerprint !== fingerprint)
      throw new TrainingError(`checkpoint ${folder} was made with other training options`, {
        checkpoint: folder,
        hint: 'resume with the options of the original run',
      });
    position = { ...state.position };
    lastCheckpoint = folder;
  }
  const outputDir = options.outputDir;
  if (outputDir) await mkdir(outputDir, { recursive: true });
  const metricsFile = outputDir ? join(outputDir, 'metrics.jsonl') : undefined;
  const tracker = new ProgressTracker('steerlm2', { total: totalSteps, unit: 'steps', listeners: [options.onEvent] });
  const lossCurve: SteerLM2Summary['lossCurve'] = [];
  const started = performance.now();
  let finalLoss = Number.NaN;
  let finalKl = Number.NaN;
  let consecutiveNonFinite = 0;
  const checkpoint = async () => {
    if (!outputDir) return;
    lastCheckpoint = await saveTrainingCheckpoint(outputDir, optimizer, options.model, { position, fingerprint, keep: options.keepCheckpoints }, tracker);
  };

  let epochOrder = order(position.epoch);
  try {
    while (position.step < totalSteps) {
      if (options.signal?.aborted) break;
      if (position.batchInEpoch >= epochOrder.length) {
        position = { ...position, epoch: position.epoch + 1, batchInEpoch: 0 };
        epochOrder = order(position.epoch);
      }
      const stepGroups = epochOrder.slice(position.batchInEpoch, position.batchInEpoch + promptsPerStep).map((index) => groups[index]!);
      tracker.emit({ type: 'step-start', job: 'steerlm2', step: position.step + 1, total: totalSteps });
      // Weights first, from the current model without gradients (NeMo's forward-only pass).
      options.model.training = false;
      const weights: SteerLM2Weights[] = [];
      for (const group of stepGroups) {
        const logModel = rowLogProbabilities(options.model, group);
        weights.push(groupWeights(group, await readFloat32(logModel, 'the SteerLM 2.0 weights')));
        logModel.dispose();
      }
      options.model.training = true;
      options.model.dropoutSeed = seed * 1_000_003 + position.step * 4096;
      let loss: tf.Scalar | undefined;
      let grads: tf.Tensor[] | undefined;
      stepGroups.forEach((group, index) => {
        const tokens = group.batch.trainedTokens / group.batch.B;
        const { value, grads: named } = tf.variableGrads(() => {
          const logModel = rowLogProbabilities(options.model, group);
          return tf.div(steerLM2Loss(logModel, weights[index]!, tokens), stepGroups.length) as tf.Scalar;
        }, optimizer.trainable.variables);
        const ordered = optimizer.trainable.variables.map((variable) => named[variable.name]!);
        if (!loss || !grads) {
          [loss, grads] = [value, ordered];
          return;
        }
        const [previousLoss, previous] = [loss, grads];
        [loss, grads] = [tf.add(previousLoss, value) as tf.Scalar, previous.map((grad, at) => tf.add(grad, ordered[at]!))];
        tf.dispose([previousLoss, ...previous, value, ...ordered]);
      });
      const lr = learningRateAt(schedule, position.step);
      const trainedTokens = stepGroups.reduce((sum, group) => sum + group.batch.trainedTokens, 0);
      const outcome = await optimizer.apply(
        { loss: loss!, grads: grads! },
        {
          learningRate: lr,
          weightDecay: options.weightDecay ?? 0.01,
          maxGradNorm: options.maxGradNorm ?? 1,
          beta1: options.beta1 ?? 0.9,
          beta2: options.beta2 ?? 0.999,
        },
        trainedTokens,
      );
      const klDivergence = weights.reduce((sum, weight) => sum + weight.klDivergence, 0) / weights.length;
      position = {
        ...position,
        step: position.step + 1,
        batchInEpoch: position.batchInEpoch + stepGroups.length,
        skippedSteps: position.skippedSteps + (outcome.skipped ? 1 : 0),
      };
      if (outcome.skipped) {
        consecutiveNonFinite++;
        tracker.emit({
          type: 'warning',
          job: 'steerlm2',
          step: position.step,
          message: `non-finite loss or gradient at step ${position.step}; the update was skipped`,
        });
        if (consecutiveNonFinite >= maxNonFinite) {
          throw new TrainingError(`loss or gradients were not finite for ${consecutiveNonFinite} steps in a row, up to step ${position.step}`, {
            step: position.step,
            ...(lastCheckpoint ? { checkpoint: lastCheckpoint } : {}),
            hint: "lower the learning rate or check the records' log-probabilities",
          });
        }
      } else {
        consecutiveNonFinite = 0;
        finalLoss = outcome.loss;
        finalKl = klDivergence;
        lossCurve.push({ step: position.step, loss: outcome.loss, klDivergence });
      }
      const metrics = { loss: outcome.loss, klDivergence, learningRate: lr, gradNorm: outcome.gradNorm, trainedTokens };
      tracker.step(position.step, 1, metrics);
      if (metricsFile)
        await appendFile(metricsFile, `${JSON.stringify({ step: position.step, epoch: position.epoch, skipped: outcome.skipped, ...metrics })}\n`);
      if (options.checkpointEvery && position.step % options.checkpointEvery === 0 && !outcome.skipped) await checkpoint();
    }
    await checkpoint();
  } finally {
    options.model.training = false;
    optimizer.dispose();
  }
  if (outputDir) {
    const points = (key: 'loss' | 'klDivergence') => lossCurve.map((point) => [point.step, point[key]] as [number, number]);
    await writeFile(
      join(outputDir, 'loss-curve.svg'),
      lossCurveSvg(
        [
          { name: 'SteerLM 2.0 loss', color: '#1f77b4', points: points('loss') },
          { name: 'KL(w ‖ b)', color: '#d62728', points: points('klDivergence') },
        ],
        { title: 'SteerLM 2.0' },
      ),
    );
  }
  const summary: SteerLM2Summary = {
    steps: position.step,
    epochs: position.epoch + 1,
    records: groups.length,
    droppedRecords: records.length - groups.length,
    responses: groups.reduce((sum, group) => sum + group.batch.B, 0),
    skippedSteps: position.skippedSteps,
    finalLoss,
    finalKlDivergence: finalKl,
    elapsedMs: performance.now() - started,
    ...(lastCheckpoint ? { lastCheckpoint } : {}),
    lossCurve,
  };
  tracker.end({ ...summary, lossCurve: undefined });
  return { model: options.model, summary };
}
