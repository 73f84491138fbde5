import { InvalidOptionError, ShapeError, TrainingError } from '@steerlm/core';
import { SeededRandom } from '../training/seeded-random';
import { maskedMeanSquaredError } from './masked-mse';
import { RegressionHead } from './regression-head';

/** Standardised rows for the head: features (rows × inputs), targets and mask (rows × outputs), row-major. */
export interface HeadDataset {
  readonly features: Float32Array;
  readonly targets: Float32Array;
  readonly mask: Uint8Array;
  readonly rows: number;
}

export interface HeadTrainingOptions {
  /** 0 for a linear head (default), else the width of one ReLU hidden layer. */
  hiddenUnits?: number;
  /** Decoupled (AdamW) weight decay on weights, not biases (default 1e-2). */
  weightDecay?: number;
  /** Adam step size (default 1e-3). */
  learningRate?: number;
  /** Rows per step (default 32). */
  batchSize?: number;
  /** The most epochs (default 200); without validation rows, exactly this many run. */
  maxEpochs?: number;
  /** Epochs without a better validation loss before stopping (default 20). */
  patience?: number;
  /** Seeds initialisation and shuffling (default 0). */
  seed?: number;
  /** Called after every epoch. */
  onEpoch?: (epoch: number, trainLoss: number, validationLoss: number | undefined) => void;
}

/** What training produced: the best head (by validation loss when validation rows were given). */
export interface HeadTrainingResult {
  head: RegressionHead;
  /** The epoch (1-based) whose weights were kept. */
  bestEpoch: number;
  epochsRun: number;
  trainLoss: number;
  validationLoss: number | undefined;
}

function checkDataset(data: HeadDataset, inputs: number, outputs: number, name: string): void {
  if (data.features.length !== data.rows * inputs || data.targets.length !== data.rows * outputs || data.mask.length !== data.rows * outputs) {
    throw new ShapeError(`${name} rows do not match ${data.rows} × (${inputs} features, ${outputs} targets)`);
  }
}

function positive(value: number, option: string, allowZero = false): number {
  if (!Number.isFinite(value) || value < 0 || (!allowZero && value === 0)) {
    throw new InvalidOptionError(`${option} must be a ${allowZero ? 'non-negative' : 'positive'} number, got ${value}`, { option });
  }
  return value;
}

/** Returns the masked MSE of the head on a dataset, in batches. */
export function evaluateHead(head: RegressionHead, data: HeadDataset, batchSize = 256): number {
  const { inputDimension: inputs, outputDimension: outputs } = head.config;
  let sum = 0;
  let observed = 0;
  for (let start = 0; start < data.rows; start += batchSize) {
    const end = Math.min(data.rows, start + batchSize);
    const predictions = head.forward(data.features.subarray(start * inputs, end * inputs), end - start);
    const loss = maskedMeanSquaredError(predictions, data.targets.subarray(start * outputs, end * outputs), data.mask.subarray(start * outputs, end * outputs));
    sum += loss.loss * loss.observed;
    observed += loss.observed;
  }
  return observed === 0 ? 0 : sum / observed;
}

/**
 * Returns a head trained with AdamW on masked MSE; with validation rows it stops early after `patience`
 * epochs without improvement and keeps the best epoch's weights. Deterministic for a seed.
 */
export function trainRegressionHead(
  train: HeadDataset,
  validation: HeadDataset | undefined,
  inputDimension: number,
  outputDimension: number,
  options: HeadTrainingOptions = {},
): HeadTrainingResult {
  const hiddenUnits = options.hiddenUnits ?? 0;
  const weightDecay = positive(options.weightDecay ?? 1e-2, 'weightDecay', true);
  const learningRate = positive(options.learningRate ?? 1e-3, 'learningRate');
  const batchSize = Math.floor(positive(options.batchSize ?? 32, 'batchSize'));
  const maxEpochs = Math.floor(positive(options.maxEpochs ?? 200, 'maxEpochs'));
  const patience = Math.floor(positive(options.patience ?? 20, 'patience'));
  const seed = options.seed ?? 0;
  if (train.rows === 0) throw new TrainingError('there are no training rows', { hint: 'give at least one labelled example' });
  checkDataset(train, inputDimension, outputDimension, 'training');
  if (validation) checkDataset(validation, inputDimension, outputDimension, 'validation');

  const head = RegressionHead.create({ inputDimension, outputDimension, hiddenUnits }, seed);
  const random = new SeededRandom(seed + 1);
  const firstMoment: Record<string, Float32Array> = {};
  const secondMoment: Record<string, Float32Array> = {};
  for (const [name, tensor] of Object.entries(head.parameters)) {
    firstMoment[name] = new Float32Array(tensor.data.length);
    secondMoment[name] = new Float32Array(tensor.data.length);
  }
  const beta1 = 0.9;
  const beta2 = 0.999;
  let step = 0;
  let best = { head: head.clone(), epoch: 0, validationLoss: validation ? evaluateHead(head, validation) : undefined, trainLoss: Number.NaN };
  const order = Array.from({ length: train.rows }, (_, index) => index);
  const batchFeatures = new Float32Array(batchSize * inputDimension);
  const batchTargets = new Float32Array(batchSize * outputDimension);
  const batchMask = new Uint8Array(batchSize * outputDimension);
  let epochsRun = 0;
  let lastTrainLoss = Number.NaN;

  for (let epoch = 1; epoch <= maxEpochs; epoch += 1) {
    random.shuffle(order);
    let epochSum = 0;
    let epochObserved = 0;
    for (let start = 0; start < train.rows; start += batchSize) {
      const rows = Math.min(batchSize, train.rows - start);
      for (let offset = 0; offset < rows; offset += 1) {
        const row = order[start + offset]!;
        batchFeatures.set(train.features.subarray(row * inputDimension, (row + 1) * inputDimension), offset * inputDimension);
        batchTargets.set(train.targets.subarray(row * outputDimension, (row + 1) * outputDimension), offset * outputDimension);
        batchMask.set(train.mask.subarray(row * outputDimension, (row + 1) * outputDimension), offset * outputDimension);
      }
      const features = batchFeatures.subarray(0, rows * inputDimension);
      const { hidden, outputs } = head.forwardWithActivations(features, rows);
      const loss = maskedMeanSquaredError(outputs, batchTargets.subarray(0, rows * outputDimension), batchMask.subarray(0, rows * outputDimension));
      if (loss.observed === 0) continue;
      if (!Number.isFinite(loss.loss)) {
        throw new TrainingError(`the loss became ${loss.loss} at epoch ${epoch}`, {
          step: epoch,
          hint: 'lower learningRate or check the features for NaN/Infinity',
        });
      }
      epochSum += loss.loss * loss.observed;
      epochObserved += loss.observed;
      const gradients = head.backward(features, rows, loss.gradient, hidden);
      step += 1;
      const correction1 = 1 - beta1 ** step;
      const correction2 = 1 - beta2 ** step;
      for (const [name, tensor] of Object.entries(head.parameters)) {
        const gradient = gradients[name]!;
        const first = firstMoment[name]!;
        const second = secondMoment[name]!;
        const decay = name.endsWith('.weight') ? 1 - learningRate * weightDecay : 1;
        const data = tensor.data;
        for (let index = 0; index < data.length; index += 1) {
          const g = gradient[index]!;
          first[index] = beta1 * first[index]! + (1 - beta1) * g;
          second[index] = beta2 * second[index]! + (1 - beta2) * g * g;
          data[index] = data[index]! * decay - (learningRate * (first[index]! / correction1)) / (Math.sqrt(second[index]! / correction2) + 1e-8);
        }
      }
    }
    epochsRun = epoch;
    lastTrainLoss = epochObserved === 0 ? 0 : epochSum / epochObserved;
    const validationLoss = validation ? evaluateHead(head, validation) : undefined;
    options.onEpoch?.(epoch, lastTrainLoss, validationLoss);
    if (validationLoss === undefined) continue;
    if (best.validationLoss === undefined || validationLoss < best.validationLoss - 1e-6) {
      best = { head: head.clone(), epoch, validationLoss, trainLoss: lastTrainLoss };
    } else if (epoch - best.epoch >= patience) {
      break;
    }
  }
  if (!validation) return { head, bestEpoch: epochsRun, epochsRun, trainLoss: lastTrainLoss, validationLoss: undefined };
  return { head: best.head, bestEpoch: best.epoch, epochsRun, trainLoss: best.trainLoss, validationLoss: best.validationLoss };
}
