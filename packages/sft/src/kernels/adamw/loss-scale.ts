/**
 * Dynamic loss scaling for mixed-precision training, as torch.cuda.amp.GradScaler does it, kept on
 * the GPU: the state [scale, good steps] is a 2-element float32 tensor that
 * - the cross-entropy backward multiplies its gradient by (so every gradient of the step is scaled),
 * - the gradient-statistics kernel reads to unscale (the norm is divided by the scale, and the AdamW
 *   clip factor statistics[1] becomes clip / scale, so the update sees unscaled gradients) and then
 *   updates in place: not finite → skip the step, scale × backoff; finite → after `growthInterval`
 *   good steps in a row, scale × growth.
 * Nothing is read back in the middle of the step: the scale used and the next one come back with the
 * step's statistics (statistics[4..6]).
 */
import * as tf from '@tensorflow/tfjs';
import { InvalidOptionError } from '@steerlm/core';

/** Options of dynamic loss scaling (GradScaler's defaults). */
export interface LossScaleOptions {
  /** The first scale [2^16]. */
  initScale?: number;
  /** Multiplies the scale after `growthInterval` finite steps in a row [2]. */
  growthFactor?: number;
  /** Multiplies the scale after a step with non-finite gradients, which is skipped [0.5]. */
  backoffFactor?: number;
  /** Finite steps in a row before the scale grows [2000]. */
  growthInterval?: number;
}

/** Loss-scaling options with every default applied. */
export type ResolvedLossScaleOptions = Required<LossScaleOptions>;

/** Returns `options` with GradScaler's defaults, or throws InvalidOptionError naming the bad one. */
export function resolveLossScaleOptions(options: LossScaleOptions = {}): ResolvedLossScaleOptions {
  const resolved: ResolvedLossScaleOptions = {
    initScale: options.initScale ?? 2 ** 16,
    growthFactor: options.growthFactor ?? 2,
    backoffFactor: options.backoffFactor ?? 0.5,
    growthInterval: options.growthInterval ?? 2000,
  };
  const rules: Array<[keyof ResolvedLossScaleOptions, boolean, string]> = [
    ['initScale', Number.isFinite(resolved.initScale) && resolved.initScale > 0, 'a finite number > 0'],
    ['growthFactor', Number.isFinite(resolved.growthFactor) && resolved.growthFactor > 1, 'a finite number > 1'],
    ['backoffFactor', resolved.backoffFactor > 0 && resolved.backoffFactor < 1, 'in (0, 1)'],
    ['growthInterval', Number.isInteger(resolved.growthInterval) && resolved.growthInterval >= 1, 'an integer >= 1'],
  ];
  for (const [name, ok, rule] of rules) {
    if (!ok) throw new InvalidOptionError(`loss scaling ${name} is ${String(resolved[name])}, but must be ${rule}`, { option: `lossScale.${name}` });
  }
  return resolved;
}

/** The loss scale after a step, as read back with its statistics. */
export interface LossScaleReport {
  /** The scale the step's gradients were multiplied by. */
  scale: number;
  /** The scale of the next step (backed off after an overflow, grown after enough good steps). */
  nextScale: number;
  /** Finite steps in a row since the scale last changed. */
  goodSteps: number;
}

/** Returns the loss-scale report in a step's statistics [norm, clip, finite, loss, scale, next scale, good steps]. */
export function lossScaleReport(statistics: ArrayLike<number>): LossScaleReport | undefined {
  if (statistics.length < 7) return undefined;
  return { scale: statistics[4]!, nextScale: statistics[5]!, goodSteps: statistics[6]! };
}

/** The dynamic loss scale of a mixed-precision run: its options and its state on the backend. */
export class LossScaler {
  /** The options with GradScaler's defaults applied. */
  readonly options: ResolvedLossScaleOptions;
  /** [scale, good steps in a row]; replaced (the old one disposed) by each AdamW step. */
  state: tf.Tensor1D;

  constructor(options: LossScaleOptions = {}, state?: { scale: number; goodSteps: number }) {
    this.options = resolveLossScaleOptions(options);
    this.state = tf.tensor1d([state?.scale ?? this.options.initScale, state?.goodSteps ?? 0]);
  }

  /** Replaces the state by `next` (after a step), disposing the previous one unless it is the same tensor data. */
  replaceState(next: tf.Tensor1D): void {
    const previous = this.state;
    this.state = next;
    previous.dispose();
  }

  /** Frees the state. */
  dispose(): void {
    this.state.dispose();
  }
}
