import { InvalidAttributeError, InvalidOptionError, type AttributeDefinition, type AttributeSchema, type AttributeValues } from '@steerlm/core';
import { betaIntervalProbability } from './beta-distribution';

/** How predictions become probabilities of attribute values (SteerLM 2.0, HelpSteer2 §4). */
export interface AttributeProbabilityOptions {
  /** α + β of each Beta distribution (default 24: α = 24 r, β = 24 − α). */
  concentration?: number;
  /** r is kept inside [epsilon, 1 − epsilon] so the Beta stays proper (default 1e-6). */
  epsilon?: number;
}

/**
 * Returns the probability that attribute value `value` is right given a prediction `r` in [0, 1]:
 * the mass of Beta(α = c·r, β = c − α) over the value's bin, one of (max − min + 1) equal bins of [0, 1].
 */
export function betaBinProbability(
  r: number,
  value: number,
  range: Pick<AttributeDefinition, 'min' | 'max'>,
  options: AttributeProbabilityOptions = {},
): number {
  const concentration = options.concentration ?? 24;
  const epsilon = options.epsilon ?? 1e-6;
  if (!(concentration > 0)) throw new InvalidOptionError(`concentration must be > 0, got ${concentration}`, { option: 'concentration' });
  if (!(epsilon > 0 && epsilon < 0.5)) throw new InvalidOptionError(`epsilon must be in (0, 0.5), got ${epsilon}`, { option: 'epsilon' });
  if (!Number.isFinite(r)) throw new InvalidOptionError(`the prediction r must be a finite number, got ${r}`, { option: 'r' });
  if (!Number.isInteger(value) || value < range.min || value > range.max) {
    throw new InvalidAttributeError(`value ${value} is not an integer in ${range.min}..${range.max}`);
  }
  const bins = range.max - range.min + 1;
  const clamped = Math.min(1 - epsilon, Math.max(epsilon, r));
  const alpha = concentration * clamped;
  const bin = value - range.min;
  return betaIntervalProbability(bin / bins, (bin + 1) / bins, alpha, concentration - alpha);
}

/** Returns a prediction on an attribute's scale mapped to [0, 1] (clamped): (v − min) / (max − min). */
export function normalisePrediction(prediction: number, range: Pick<AttributeDefinition, 'min' | 'max'>): number {
  return Math.min(1, Math.max(0, (prediction - range.min) / (range.max - range.min)));
}

/**
 * Returns log P(a | x, y): the sum over the attributes set in `target` of the log Beta-bin probability
 * of the target value given the scorer's continuous prediction (on the schema's scale) for that attribute.
 */
export function attributeLogProbability(
  predictions: Readonly<Record<string, number>>,
  target: AttributeValues,
  schema: AttributeSchema,
  options: AttributeProbabilityOptions = {},
): number {
  let total = 0;
  for (const [name, value] of Object.entries(target)) {
    const definition = schema.get(name);
    if (!definition) throw new InvalidAttributeError(`unknown attribute "${name}"`, { attribute: name, hint: `known attributes: ${schema.names.join(', ')}` });
    const prediction = predictions[name];
    if (typeof prediction !== 'number' || !Number.isFinite(prediction)) {
      throw new InvalidAttributeError(`the scorer gave no finite prediction for "${name}"`, {
        attribute: name,
        hint: 'score with a scorer trained on every attribute of the label',
      });
    }
    const probability = betaBinProbability(normalisePrediction(prediction, definition), value, definition, options);
    total += Math.log(Math.max(probability, Number.MIN_VALUE));
  }
  return total;
}
