import { InvalidOptionError } from '@steerlm/core';

/** Sampling settings (0 temperature = greedy). */
export interface SamplingOptions {
  temperature?: number;
  topK?: number;
  topP?: number;
  repetitionPenalty?: number;
}

/** Throws an InvalidOptionError when a sampling setting is out of range. */
export function validateSamplingOptions(options: SamplingOptions): void {
  const check = (ok: boolean, option: string, message: string) => {
    if (!ok) throw new InvalidOptionError(message, { option });
  };
  const { temperature = 1, topK = 0, topP = 1, repetitionPenalty = 1 } = options;
  check(temperature >= 0 && Number.isFinite(temperature), 'temperature', `temperature must be >= 0, got ${temperature}`);
  check(Number.isInteger(topK) && topK >= 0, 'topK', `topK must be a non-negative integer, got ${topK}`);
  check(topP > 0 && topP <= 1, 'topP', `topP must be in (0, 1], got ${topP}`);
  check(repetitionPenalty > 0 && Number.isFinite(repetitionPenalty), 'repetitionPenalty', `repetitionPenalty must be > 0, got ${repetitionPenalty}`);
}

/**
 * Returns the next token id from one row of logits: repetition penalty on tokens already seen (the
 * CTRL / Hugging Face rule), then temperature, top-k and top-p filtering, then a draw from `random`.
 */
export function sampleToken(logits: Float32Array, seen: ReadonlySet<number>, options: SamplingOptions, random: () => number): number {
  const scores = Float32Array.from(logits);
  const penalty = options.repetitionPenalty ?? 1;
  if (penalty !== 1) {
    for (const token of seen) {
      const value = scores[token]!;
      scores[token] = value > 0 ? value / penalty : value * penalty;
    }
  }
  const temperature = options.temperature ?? 1;
  if (temperature === 0) {
    let best = 0;
    for (let index = 1; index < scores.length; index++) if (scores[index]! > scores[best]!) best = index;
    return best;
  }
  let order = Array.from(scores.keys()).sort((a, b) => scores[b]! - scores[a]!);
  const topK = options.topK ?? 0;
  if (topK > 0 && topK < order.length) order = order.slice(0, topK);
  const max = scores[order[0]!]!;
  const weights = order.map((token) => Math.exp((scores[token]! - max) / temperature));
  const total = weights.reduce((a, b) => a + b, 0);
  const topP = options.topP ?? 1;
  let keep = order.length;
  if (topP < 1) {
    let cumulative = 0;
    for (let index = 0; index < order.length; index++) {
      cumulative += weights[index]! / total;
      if (cumulative >= topP) {
        keep = index + 1;
        break;
      }
    }
  }
  const kept = weights.slice(0, keep);
  const keptTotal = kept.reduce((a, b) => a + b, 0);
  let draw = random() * keptTotal;
  for (let index = 0; index < keep; index++) {
    draw -= kept[index]!;
    if (draw <= 0) return order[index]!;
  }
  return order[keep - 1]!;
}
