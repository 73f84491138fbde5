import { seededRandom } from '@steerlm/core';
import { describe, expect, it } from 'vitest';
import { sampleToken, type SamplingOptions } from './sampling';

/**
 * The rule as written: a stable sort by descending score, top-k, softmax at the temperature, top-p, one
 * draw walked in that order; with neither top-k nor top-p, one draw walked over all ids in id order.
 */
function referenceSample(logits: Float32Array, seen: ReadonlySet<number>, options: SamplingOptions, random: () => number): number {
  const scores = Float32Array.from(logits);
  const penalty = options.repetitionPenalty ?? 1;
  for (const token of seen) if (penalty !== 1) scores[token] = scores[token]! > 0 ? scores[token]! / penalty : scores[token]! * penalty;
  const temperature = options.temperature ?? 1;
  const truncated = ((options.topK ?? 0) > 0 && options.topK! < scores.length) || (options.topP ?? 1) < 1;
  let order = Array.from(scores.keys());
  if (truncated) order.sort((a, b) => scores[b]! - scores[a]!);
  if ((options.topK ?? 0) > 0) order = order.slice(0, options.topK);
  const max = Math.max(...scores);
  const weights = order.map((token) => Math.exp((scores[token]! - max) / temperature));
  const total = weights.reduce((a, b) => a + b, 0);
  let keep = order.length;
  let cumulative = 0;
  for (let index = 0; index < order.length && (options.topP ?? 1) < 1; index++) {
    cumulative += weights[index]! / total;
    if (cumulative >= options.topP!) {
      keep = index + 1;
      break;
    }
  }
  let draw = random() * weights.slice(0, keep).reduce((a, b) => a + b, 0);
  for (let index = 0; index < keep; index++) if ((draw -= weights[index]!) <= 0) return order[index]!;
  return order[keep - 1]!;
}

describe('sampleToken', () => {
  it('draws exactly the token of the written rule (sorted walk ties by lower id, −0 as 0; id order untruncated), with each setting, for small and large vocabularies', () => {
    const random = seededRandom(1);
    const settings: SamplingOptions[] = [
      { temperature: 1 },
      { temperature: 0.6, repetitionPenalty: 1.3 },
      { temperature: 0.8, topP: 0.9 },
      { temperature: 0.7, topK: 40 },
      { temperature: 1.3, topK: 5, topP: 0.5, repetitionPenalty: 1.2 },
    ];
    const drawn = new Set<number>();
    for (const V of [7, 48, 512, 8192]) {
      for (let trial = 0; trial < (V > 1000 ? 20 : 100); trial++) {
        // Many equal scores (whole numbers), some −0, the rest spread out.
        const logits = Float32Array.from({ length: V }, () => {
          const value = random() < 0.3 ? Math.round(random() * 3) : (random() - 0.5) * 8;
          return random() < 0.05 ? -0 : value;
        });
        for (const options of settings) {
          const seed = Math.floor(random() * 1e9);
          const token = sampleToken(logits, new Set([1, 2, 3]), options, seededRandom(seed));
          expect([V, JSON.stringify(options), token]).toEqual([
            V,
            JSON.stringify(options),
            referenceSample(logits, new Set([1, 2, 3]), options, seededRandom(seed)),
          ]);
          drawn.add(token);
        }
      }
    }
    expect(drawn.size).toBeGreaterThan(50);
  });

  it('draws each id with its softmax probability without top-k or top-p, leaving the logits as they were', () => {
    const logits = Float32Array.from([2, -1, 0.5, 2, -3, 1]);
    const before = Float32Array.from(logits);
    const counts = new Array<number>(logits.length).fill(0);
    const random = seededRandom(7);
    const draws = 60_000;
    for (let draw = 0; draw < draws; draw++) counts[sampleToken(logits, new Set([0]), { temperature: 0.8 }, random)]!++;
    const weights = Array.from(logits, (value) => Math.exp(value / 0.8));
    const total = weights.reduce((a, b) => a + b, 0);
    for (let id = 0; id < logits.length; id++) expect(counts[id]! / draws).toBeCloseTo(weights[id]! / total, 2);
    expect(logits).toEqual(before);
    // The draw is the inverse of the cumulative weights in id order: a draw just past ids 0-2 is id 3.
    const below = (weights[0]! + weights[1]! + weights[2]!) / total;
    expect(sampleToken(logits, new Set(), { temperature: 0.8 }, () => below + 1e-9)).toBe(3);
    expect(sampleToken(logits, new Set(), { temperature: 0.8 }, () => below - 1e-9)).toBe(2);
  });

  it('takes the highest score at temperature 0, the lower id on a tie', () => {
    expect(sampleToken(Float32Array.from([1, 5, 5, 2]), new Set(), { temperature: 0 }, Math.random)).toBe(1);
  });
});
