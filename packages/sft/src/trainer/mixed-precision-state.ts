/**
 * The mixed-precision state of a training run on webgpu: the f16 working copies of the model's
 * weight matrices (read by the matmul kernels instead of the f32 masters) and the dynamic loss
 * scale. It is the MixedPrecisionScope the step's forward and backward passes run in. The copies of
 * trained weights are rewritten by the AdamW kernel in the same dispatch that updates the masters;
 * frozen weights (LoRA's base, frozen embeddings) keep the copy made at the start.
 */
import type * as tf from '@tensorflow/tfjs';
import { LossScaler, type LossScaleOptions } from '../kernels/adamw';
import { readFloat32 } from '../backend';
import { castToHalf, type MixedPrecisionScope } from '../kernels/runtime';

/** The loss-scale state a checkpoint keeps (in the metadata of optimizer.safetensors). */
export interface LossScaleCheckpoint {
  /** The loss scale of the next step. */
  scale: number;
  /** Finite steps in a row since the scale last changed. */
  goodSteps: number;
}

/** Returns true for the tensors that get an f16 working copy: the weight matrices the matmuls read (rank ≥ 2). */
export function takesHalfCopy(tensor: tf.Tensor): boolean {
  return tensor.rank >= 2 && tensor.dtype === 'float32';
}

export class MixedPrecisionState implements MixedPrecisionScope {
  readonly scaler: LossScaler;
  /** f16 working copy per master tensor, keyed by the master's current tfjs dataId. */
  private readonly copies = new Map<object, tf.Tensor>();

  /**
   * Makes the f16 copies of `weights` (every model weight the matmuls may read, trained or frozen);
   * the loss scale starts at `resumed` (a checkpoint's) or at lossScale.initScale.
   */
  constructor(weights: readonly tf.Tensor[], lossScale: LossScaleOptions = {}, resumed?: LossScaleCheckpoint) {
    this.scaler = new LossScaler(lossScale, resumed);
    for (const weight of weights) {
      if (takesHalfCopy(weight) && !this.copies.has(weight.dataId)) this.copies.set(weight.dataId, castToHalf(weight));
    }
  }

  halfCopyOf(dataId: object): tf.TensorInfo | undefined {
    return this.copies.get(dataId);
  }

  get lossScale(): tf.Tensor {
    return this.scaler.state;
  }

  /** Per trained variable: whether AdamW should write its f16 copy. */
  halfCopyFlags(variables: readonly tf.Variable[]): boolean[] {
    return variables.map(takesHalfCopy);
  }

  /**
   * Replaces the copies of `variables` after an AdamW step: `previousDataIds` are the masters' data
   * before the step, `halfCopies` the new copies (undefined where none was written).
   */
  refresh(variables: readonly tf.Variable[], previousDataIds: readonly object[], halfCopies: ReadonlyArray<tf.Tensor | undefined>): void {
    variables.forEach((variable, index) => {
      const copy = halfCopies[index];
      if (copy === undefined) return;
      this.copies.get(previousDataIds[index]!)?.dispose();
      this.copies.delete(previousDataIds[index]!);
      this.copies.set(variable.dataId, copy);
    });
  }

  /** Resolves to the loss-scale state (a read-back: call it where the run syncs anyway, e.g. a checkpoint). */
  async lossScaleState(): Promise<LossScaleCheckpoint> {
    const [scale, goodSteps] = await readFloat32(this.scaler.state, 'the loss scale');
    return { scale: scale!, goodSteps: goodSteps! };
  }

  /** Frees the copies and the loss-scale state. */
  dispose(): void {
    for (const copy of this.copies.values()) copy.dispose();
    this.copies.clear();
    this.scaler.dispose();
  }
}
