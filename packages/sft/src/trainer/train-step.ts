/** One optimizer step of conditioned SFT: masked cross-entropy over micro-batches, then fused AdamW. */
import * as tf from '@tensorflow/tfjs';
import { applyAdamW, createAdamWState, type AdamWConfig, type AdamWState } from '../kernels/adamw';
import { crossEntropy } from '../kernels/cross-entropy';
import type { DecoderModel } from '../models';
import type { TrainingBatch } from './batching';

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
    for (const [name, variable] of model.parameters) {
      const embedding = /(embed_tokens|wte|wpe)\.weight$/.test(name) || name === 'lm_head.weight';
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

/** Per-token losses [B*T] of a batch (masked positions are 0), without gradients. */
export function batchTokenLosses(model: DecoderModel, batch: TrainingBatch, packed: boolean): Float32Array {
  return tf.tidy(() => {
    const { targets, lossMask, ...input } = batchTensors(batch, packed);
    return crossEntropy(model.logits(input), targets, lossMask).dataSync() as Float32Array;
  });
}

export interface StepOutcome {
  /** Mean loss over the step's trained tokens. */
  loss: number;
  /** Global gradient norm before clipping. */
  gradNorm: number;
  /** True when the loss or a gradient was not finite and no update was made. */
  skipped: boolean;
  trainedTokens: number;
}

/** An AdamW optimizer over a fixed set of variables. */
export class Optimizer {
  readonly trainable: TrainableSet;
  state: AdamWState;

  constructor(trainable: TrainableSet) {
    this.trainable = trainable;
    this.state = createAdamWState(trainable.variables);
  }

  /**
   * Runs forward and backward over `microBatches` (gradients accumulated, normalised by all their
   * trained tokens) and applies one AdamW update unless the loss or gradients are not finite.
   */
  step(model: DecoderModel, microBatches: readonly TrainingBatch[], packed: boolean, config: AdamWConfig): StepOutcome {
    const trainedTokens = microBatches.reduce((sum, batch) => sum + batch.trainedTokens, 0);
    const denominator = Math.max(1, trainedTokens);
    let totalLoss = 0;
    let accumulated: tf.Tensor[] | undefined;
    for (const batch of microBatches) {
      const { value, grads } = tf.variableGrads(() => tf.div(batchLossSum(model, batch, packed), denominator) as tf.Scalar, this.trainable.variables);
      totalLoss += value.dataSync()[0]!;
      value.dispose();
      const ordered = this.trainable.variables.map((variable) => grads[variable.name]!);
      if (!accumulated) accumulated = ordered;
      else {
        const previous = accumulated;
        accumulated = previous.map((grad, index) => tf.add(grad, ordered[index]!));
        tf.dispose([...previous, ...ordered]);
      }
    }
    const grads = accumulated ?? [];
    const norm = tf.tidy(() => tf.sqrt(tf.addN(grads.map((grad) => tf.sum(tf.square(grad)))))).dataSync()[0]!;
    if (!Number.isFinite(totalLoss) || !Number.isFinite(norm)) {
      tf.dispose(grads);
      return { loss: totalLoss, gradNorm: norm, skipped: true, trainedTokens };
    }
    const { state, gradNorm } = applyAdamW(this.trainable.variables, grads, this.state, config, { decay: this.trainable.decay });
    this.state = state;
    gradNorm.dispose();
    tf.dispose(grads);
    return { loss: totalLoss, gradNorm: norm, skipped: false, trainedTokens };
  }

  /** Frees the moments. */
  dispose(): void {
    tf.dispose([...this.state.firstMoments, ...this.state.secondMoments]);
  }
}
