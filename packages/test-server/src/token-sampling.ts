import { InvalidOptionError } from '@steerlm/core';
import type { RandomSource } from '@steerlm/core';

/** The sampling settings that shape a next-token distribution. */
export interface SamplingSettings {
  /** 0 means greedy (argmax). */
  temperature: number;
  /** Keep only the k most likely tokens (0 or undefined: all). */
  topK?: number;
  /** Keep the smallest set of most likely tokens whose mass reaches p (1 or undefined: all). */
  topP?: number;
}

/** Throws an InvalidOptionError when a sampling setting is out of its range. */
export function validateSamplingSettings(settings: {
  temperature?: number;
  topK?: number;
  topP?: number;
  maxTokens?: number;
  repetitionPenalty?: number;
}): void {
  const check = (name: string, value: number | undefined, ok: (value: number) => boolean, rule: string) => {
    if (value !== undefined && (typeof value !== 'number' || !ok(value))) {
      throw new InvalidOptionError(`${name} must be ${rule}, got ${String(value)}`, { option: name });
    }
  };
  check('temperature', settings.temperature, (v) => Number.isFinite(v) && v >= 0, 'a number >= 0');
  check('topK', settings.topK, (v) => Number.isInteger(v) && v >= 0, 'an integer >= 0');
  check('topP', settings.topP, (v) => Number.isFinite(v) && v > 0 && v <= 1, 'in (0, 1]');
  check('maxTokens', settings.maxTokens, (v) => Number.isInteger(v) && v >= 0, 'an integer >= 0');
  check('repetitionPenalty', settings.repetitionPenalty, (v) => Number.isFinite(v) && v > 0, 'a number > 0');
}

/**
 * Returns the index of the token drawn from `logits` (unnormalised log-probabilities; -Infinity
 * masks a token) after temperature, top-k and top-p filtering; greedy when temperature is 0.
 */
export function sampleToken(logits: readonly number[], settings: SamplingSettings, random: RandomSource): number {
  let best = -1;
  for (let index = 0; index < logits.length; index++) {
    if (best === -1 || logits[index]! > logits[best]!) best = index;
  }
  if (best === -1 || logits[best] === -Infinity) throw new InvalidOptionError('no token can be sampled: every token is masked');
  if (settings.temperature === 0) return best;
  const maximum = logits[best]!;
  let candidates = logits
    .map((logit, index) => ({ index, weight: Math.exp((logit - maximum) / settings.temperature) }))
    .filter((candidate) => candidate.weight > 0)
    .sort((left, right) => right.weight - left.weight || left.index - right.index);
  if (settings.topK !== undefined && settings.topK > 0) candidates = candidates.slice(0, settings.topK);
  let total = candidates.reduce((sum, candidate) => sum + candidate.weight, 0);
  if (settings.topP !== undefined && settings.topP < 1) {
    let mass = 0;
    let keep = 0;
    while (keep < candidates.length && mass < settings.topP * total) mass += candidates[keep++]!.weight;
    candidates = candidates.slice(0, Math.max(1, keep));
    total = candidates.reduce((sum, candidate) => sum + candidate.weight, 0);
  }
  let draw = random() * total;
  for (const candidate of candidates) {
    draw -= candidate.weight;
    if (draw < 0) return candidate.index;
  }
  return candidates[candidates.length - 1]!.index;
}
