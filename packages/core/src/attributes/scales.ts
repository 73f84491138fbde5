import { InvalidAttributeError } from '../errors';
import type { AttributeDefinition } from './attribute-schema';

/**
 * Returns x rounded to the nearest integer, ties to even — Python's `round`, which NeMo-Aligner's
 * preprocessing uses — so 2.5 → 2 and 3.5 → 4. Only exact ties (the double's value is exactly
 * n + 0.5) go to even, as in Python: 2.5000000001 → 3, and 0.3 * 5 = 1.5 exactly → 2.
 */
export function roundHalfEven(x: number): number {
  const floor = Math.floor(x);
  if (x - floor === 0.5) return floor % 2 === 0 ? floor : floor + 1;
  return Math.round(x);
}

/** Returns a [0, 1] value mapped to bins 0..k-1 as round(v * (k - 1)) (oasst1 labels → 0..4 with k = 5). */
export function toBins(value: number, bins: number): number {
  if (!Number.isFinite(value) || value < 0 || value > 1) {
    throw new InvalidAttributeError(`value ${value} is not in [0, 1]`, { hint: 'toBins maps probabilities or normalised labels' });
  }
  if (!Number.isSafeInteger(bins) || bins < 2) {
    throw new InvalidAttributeError(`bins must be an integer >= 2, got ${bins}`);
  }
  return roundHalfEven(value * (bins - 1));
}

type Range = Pick<AttributeDefinition, 'min' | 'max'>;

/**
 * Returns `value` on scale `from` mapped linearly onto scale `to` and rounded (ties to even),
 * e.g. 0..4 → 0..9 maps 2 to 4.5 → 4 and 4 to 9. Pass `round: false` for the exact value.
 */
export function convertScale(value: number, from: Range, to: Range, options: { round?: boolean } = {}): number {
  if (!Number.isFinite(value) || value < from.min || value > from.max) {
    throw new InvalidAttributeError(`value ${value} is outside the source scale ${from.min}..${from.max}`);
  }
  const exact = to.min + ((value - from.min) * (to.max - to.min)) / (from.max - from.min);
  return options.round === false ? exact : roundHalfEven(exact);
}

/** Returns `value` clamped to the attribute's range and rounded to an integer bin (ties to even). */
export function clampToScale(value: number, range: Range): number {
  if (Number.isNaN(value)) throw new InvalidAttributeError('cannot clamp NaN to an attribute scale');
  return Math.min(range.max, Math.max(range.min, roundHalfEven(value)));
}
