import { describe, expect, it } from 'vitest';
import { seededRandom } from '@steerlm/core';
import { sampleToken } from './token-sampling';

describe('sampleToken', () => {
  const logits = [Math.log(0.5), Math.log(0.3), Math.log(0.15), Math.log(0.05)];
  const draws = 20000;
  const frequencies = (settings: Parameters<typeof sampleToken>[1]) => {
    const random = seededRandom(1);
    const counts = [0, 0, 0, 0];
    for (let index = 0; index < draws; index++) counts[sampleToken(logits, settings, random)]! += 1;
    return counts.map((count) => count / draws);
  };
  /**
   * Each observed frequency within 4 standard errors sqrt(p(1-p)/n) of its probability (about 0.0015 at
   * p = 0.05, 0.0035 at p = 0.5): a fair sampler passes (the seed is fixed), a bias of half a point fails.
   */
  const expectDistribution = (observed: number[], expected: number[]) => {
    expected.forEach((p, index) => {
      const allowed = 4 * Math.sqrt((p * (1 - p)) / draws);
      expect(Math.abs(observed[index]! - p), `token ${index}: observed ${observed[index]}, expected ${p} ± ${allowed.toFixed(4)}`).toBeLessThanOrEqual(allowed);
    });
  };

  it('draws from the softmax at temperature 1', () => {
    expectDistribution(frequencies({ temperature: 1 }), [0.5, 0.3, 0.15, 0.05]);
  });

  it('sharpens and flattens with the temperature: p ∝ p₀^(1/T)', () => {
    for (const temperature of [0.5, 2]) {
      const powered = [0.5, 0.3, 0.15, 0.05].map((p) => p ** (1 / temperature));
      const total = powered.reduce((sum, value) => sum + value, 0);
      expectDistribution(
        frequencies({ temperature }),
        powered.map((value) => value / total),
      );
    }
  });

  it('keeps the k most likely tokens with top-k and the nucleus with top-p', () => {
    expectDistribution(frequencies({ temperature: 1, topK: 2 }), [0.625, 0.375, 0, 0]);
    expectDistribution(frequencies({ temperature: 1, topK: 3 }), [0.5 / 0.95, 0.3 / 0.95, 0.15 / 0.95, 0]);
    // The nucleus is the smallest set reaching p: 0.5 + 0.3 >= 0.7, so tokens 2 and 3 never appear.
    expectDistribution(frequencies({ temperature: 1, topP: 0.7 }), [0.625, 0.375, 0, 0]);
    expectDistribution(frequencies({ temperature: 1, topP: 0.9 }), [0.5 / 0.95, 0.3 / 0.95, 0.15 / 0.95, 0]);
  });

  it('is greedy at temperature 0 and skips masked tokens', () => {
    expect(sampleToken(logits, { temperature: 0 }, seededRandom(2))).toBe(0);
    expect(sampleToken([-Infinity, -1, -Infinity], { temperature: 1 }, seededRandom(2))).toBe(1);
  });
});
