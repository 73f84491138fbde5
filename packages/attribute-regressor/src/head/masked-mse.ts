import { ShapeError } from '@steerlm/core';

/** The loss and its gradient with respect to the predictions. */
export interface MaskedLoss {
  /** The mean of squared errors over observed entries (0 when nothing is observed). */
  loss: number;
  /** d loss / d prediction, row-major like the predictions; exactly 0 where the mask is 0. */
  gradient: Float32Array;
  /** How many entries were observed. */
  observed: number;
}

/**
 * Returns the masked mean squared error of row-major `predictions` against `targets`: entries whose
 * `mask` is 0 (a missing label, NeMo's -100) add nothing to the loss and get a zero gradient, so a row
 * with some attributes missing still trains the others.
 */
export function maskedMeanSquaredError(predictions: Float32Array, targets: Float32Array, mask: Uint8Array): MaskedLoss {
  if (predictions.length !== targets.length || predictions.length !== mask.length) {
    throw new ShapeError(`masked MSE needs predictions, targets and mask of one length, got ${predictions.length}, ${targets.length} and ${mask.length}`);
  }
  let observed = 0;
  for (let index = 0; index < mask.length; index += 1) observed += mask[index] ? 1 : 0;
  const gradient = new Float32Array(predictions.length);
  if (observed === 0) return { loss: 0, gradient, observed };
  let sum = 0;
  for (let index = 0; index < predictions.length; index += 1) {
    if (!mask[index]) continue;
    const error = predictions[index]! - targets[index]!;
    sum += error * error;
    gradient[index] = (2 * error) / observed;
  }
  return { loss: sum / observed, gradient, observed };
}
