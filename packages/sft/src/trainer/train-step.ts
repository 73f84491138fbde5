/** One optimizer step of conditioned SFT: masked cross-entropy over micro-batches, then fused AdamW. */
import * as tf from '@tensorflow/tfjs';
import { readFloat32, throwIfDeviceFailed } from '../backend';
import {
  applyAdamW,
  createAdamWState,
  lossScaleReport,
  type AdamWConfig,
  type AdamWState,
  type LossScaleOptions,
  type LossScaleReport,
} from '../kernels/adamw';
import { attentionMaskFromArrays } from '../kernels/attention';
import { crossEntropy } from '../kernels/cross-entropy';
import { withMixedPrecision } from '../kernels/runtime';
import { modelFamily } from '../families/registry';
import type { DecoderModel } from '../models';
import type { TrainingBatch } from './batching';
import { MixedPrecisionState, type LossScaleCheckpoint } from './mixed-precision-state';

/** The trainable variables of a model with their checkpoint names, and which take weight decay. */
export interface TrainableSet {
  names: string[];
  variables: tf.Variable[];
  decay: boolean[];
}

/** Returns the variables the optimizer updates: LoRA adapters when present, else every parameter (minus frozen ones). */
export function trainableSet(model: DecoderModel, options: { freezeEmbeddings?: boolean } = {}): TrainableSet {
  const names: string[] = [];
  const variables: tf.Variable[] = [];
  if (model.adapters.size > 0) {
    for (const [layer, adapter] of model.adapters) {
      names.push(`${layer}.lora_A`, `${layer}.lora_B`);
      variables.push(adapter.a, adapter.b);
    }
  } else {
    const embeddings = new Set([...modelFamily(model.config).embeddings, 'lm_head.weight']);
    for (const [name, variable] of model.parameters) {
      const embedding = embeddings.has(name);
      if (options.freezeEmbeddings && embedding) continue;
      names.push(name);
      variables.push(variable);
    }
  }
  // No weight decay on norm gains and biases (rank-1 tensors), as is usual for transformers.
  return { names, variables, decay: variables.map((variable) => variable.rank >= 2) };
}

/** Returns the forward inputs of a batch as tensors (segment ids only when the batch is packed). */
export function batchTensors(batch: TrainingBatch, packed: boolean) {
  const { B, T } = batch;
  return {
    ids: tf.tensor2d(batch.ids, [B, T], 'int32'),
    targets: tf.tensor1d(batch.targets, 'int32'),
    lossMask: tf.tensor1d(batch.lossMask),
    keyMask: tf.tensor2d(batch.keyMask, [B, T]),
    positions: tf.tensor2d(batch.positions, [B, T], 'int32'),
    ...(packed ? { segmentIds: tf.tensor2d(batch.segmentIds, [B, T], 'int32') } : {}),
    // Built here from the host arrays: one upload instead of a chain of GPU ops every forward pass.
    attentionMask: attentionMaskFromArrays(B, T, batch.keyMask, packed ? batch.segmentIds : undefined),
  };
}

/** Returns the sum of trained-token losses of a batch (a scalar tensor). */
export function batchLossSum(model: DecoderModel, batch: TrainingBatch, packed: boolean): tf.Scalar {
  return tf.tidy(() => {
    const { targets, lossMask, ...input } = batchTensors(batch, packed);
    const logits = model.logits(input);
    return tf.sum(crossEntropy(logits, targets, lossMask)) as tf.Scalar;
  });
}

/** Resolves to the per-token losses [B*T] of a batch (masked positions are 0), without gradients. */
export async function batchTokenLosses(model: DecoderModel, batch: TrainingBatch, packed: boolean): Promise<Float32Array> {
  const losses = tf.tidy(() => {
    const { targets, lossMask, ...input } = batchTensors(batch, packed);
    return crossEntropy(model.logits(input), targets, lossMask);
  });
  try {
    return await readFloat32(losses, 'the evaluation forward pass');
  } finally {
    losses.dispose();
  }
}

export interface StepOutcome {
  /** Mean loss over the step's trained tokens. */
  loss: number;
  /** Global gradient norm before clipping. */
  gradNorm: number;
  /** True when the loss or a gradient was not finite and no update was made. */
  skipped: boolean;
  trainedTokens: number;
  /** In mixed precision: the loss scale the step used and the next step's (halved after an overflow). */
  lossScale?: LossScaleReport;
}

/** The summed gradients of one step's micro-batches, still on the backend, and their loss. */
export interface StepGradients {
  /** Σ over micro-batches of (their trained-token loss sum / denominator), a scalar tensor. */
  loss: tf.Scalar;
  /** One gradient per trainable variable, in the order of `Optimizer.trainable.variables`. */
  grads: tf.Tensor[];
}

/**
 * Returns the loss and the gradients of `variables` over `microBatches` (accumulated on the backend,
 * each micro-batch's loss sum divided by `denominator`), with nothing read back.
 */
export function accumulateGradients(
  model: DecoderModel,
  variables: readonly tf.Variable[],
  microBatches: readonly TrainingBatch[],
  packed: boolean,
  denominator: number,
): StepGradients {
  let loss: tf.Scalar | undefined;
  let accumulated: tf.Tensor[] | undefined;
  for (const batch of microBatches) {
    const { value, grads } = tf.variableGrads(() => tf.div(batchLossSum(model, batch, packed), denominator) as tf.Scalar, [...variables]);
    const ordered = variables.map((variable) => grads[variable.name]!);
    if (!accumulated || !loss) {
      accumulated = ordered;
      loss = value;
    } else {
      const previous = accumulated;
      const previousLoss = loss;
      accumulated = previous.map((grad, index) => tf.add(grad, ordered[index]!));
      loss = tf.add(previousLoss, value) as tf.Scalar;
      tf.dispose([...previous, ...ordered, previousLoss, value]);
    }
  }
  return { loss: loss ?? tf.scalar(0), grads: accumulated ?? [] };
}

/** An AdamW optimizer over a fixed set of variables. */
export class Optimizer {
  readonly trainable: TrainableSet;
  state: AdamWState;
  /** Mixed precision (webgpu with shader-f16): f16 working copies and the loss scale; null in f32. */
  private mixed: MixedPrecisionState | null = null;
  /** The loss scale of a restored checkpoint, which useMixedPrecision starts from. */
  restoredLossScale: LossScaleCheckpoint | undefined;

  constructor(trainable: TrainableSet) {
    this.trainable = trainable;
    this.state = createAdamWState(trainable.variables);
  }

  /**
   * Trains in mixed precision from now on: f16 working copies of `weights` (every weight matrix of
   * the model, trained or frozen; made now, so call this after restoring a checkpoint) read by the
   * matmuls, and dynamic loss scaling. Only where resolvePrecision() gave 'mixed'.
   */
  useMixedPrecision(weights: readonly tf.Tensor[], lossScale: LossScaleOptions = {}): void {
    this.mixed?.dispose();
    this.mixed = new MixedPrecisionState(weights, lossScale, this.restoredLossScale);
  }

  /** Resolves to the loss scale and its good-step count in mixed precision (a read-back), undefined in f32. */
  async lossScaleState(): Promise<LossScaleCheckpoint | undefined> {
    return this.mixed?.lossScaleState();
  }

  /** True after useMixedPrecision. */
  get mixedPrecision(): boolean {
    return this.mixed !== null;
  }

  /**
   * Returns the loss and gradients of `microBatches` (accumulated on the backend, each loss sum
   * divided by `denominator`) without reading anything back or updating.
   */
  gradients(model: DecoderModel, microBatches: readonly TrainingBatch[], packed: boolean, denominator: number): StepGradients {
    // In mixed precision the passes are recorded in the scope: f16 weights and operands, scaled loss gradient.
    if (this.mixed !== null) return withMixedPrecision(this.mixed, () => this.accumulate(model, microBatches, packed, denominator));
    return this.accumulate(model, microBatches, packed, denominator);
  }

  private accumulate(model: DecoderModel, microBatches: readonly TrainingBatch[], packed: boolean, denominator: number): StepGradients {
    return accumulateGradients(model, this.trainable.variables, microBatches, packed, denominator);
  }

  /**
   * Applies one AdamW update with `gradients` (disposed here), which leaves every weight and moment
   * as it was when their loss or norm is not finite (checked on the device); returns the outcome.
   * The whole step is encoded before anything is read: the loss, the norm and whether the update
   * was made come back in one read at the end, with no CPU–GPU round trip in the middle.
   */
  async apply(gradients: StepGradients, config: AdamWConfig, trainedTokens: number): Promise<StepOutcome> {
    const { loss, grads } = gradients;
    let statistics: tf.Tensor1D;
    const previous = this.state;
    const { variables } = this.trainable;
    const mixed = this.mixed;
    const previousDataIds = variables.map((variable) => variable.dataId);
    try {
      const applied = applyAdamW(variables, grads, this.state, config, {
        decay: this.trainable.decay,
        loss,
        ...(mixed ? { lossScaler: mixed.scaler, halfCopies: mixed.halfCopyFlags(variables) } : {}),
      });
      this.state = applied.state;
      applied.gradNorm.dispose();
      statistics = applied.statistics;
      mixed?.refresh(variables, previousDataIds, applied.halfCopies);
    } finally {
      tf.dispose([loss, ...grads]);
    }
    // [norm, clip scale, 1 when updated, loss (, loss scale, next scale, good steps)]; a GPU error anywhere in the step throws here.
    let values: Float32Array;
    try {
      values = await readFloat32(statistics, 'the forward and backward pass and the AdamW update');
    } finally {
      statistics.dispose();
    }
    throwIfDeviceFailed('the AdamW update');
    const [norm, , updated, totalLoss] = [values[0]!, values[1]!, values[2]!, values[3]!];
    const lossScale = lossScaleReport(values);
    const scaled = lossScale ? { lossScale } : {};
    if (updated === 0) {
      // Nothing moved on the device; the step does not count for the bias correction either.
      this.state = { ...this.state, step: previous.step };
      return { loss: totalLoss, gradNorm: norm, skipped: true, trainedTokens, ...scaled };
    }
    return { loss: totalLoss, gradNorm: norm, skipped: false, trainedTokens, ...scaled };
  }

  /**
   * Runs forward and backward over `microBatches` (gradients accumulated, normalised by all their
   * trained tokens) and resolves to the outcome after one AdamW update, made unless the loss or
   * gradients are not finite. Asynchronous: values are read back with data(), which every backend
   * supports (dataSync does not work on webgpu in Node).
   */
  async step(model: DecoderModel, microBatches: readonly TrainingBatch[], packed: boolean, config: AdamWConfig): Promise<StepOutcome> {
    const trainedTokens = microBatches.reduce((sum, batch) => sum + batch.trainedTokens, 0);
    return this.apply(this.gradients(model, microBatches, packed, Math.max(1, trainedTokens)), config, trainedTokens);
  }

  /** Frees the moments (and the f16 copies and loss scale in mixed precision). */
  dispose(): void {
    tf.dispose([...this.state.firstMoments, ...this.state.secondMoments]);
    this.mixed?.dispose();
    this.mixed = null;
  }
}
