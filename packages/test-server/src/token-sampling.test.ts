import { describe, expect, it } from 'vitest';
import { seededRandom } from '@steerlm/core';
import { sampleToken } from './token-sampling';

describe('sampleToken', () => {
  const logits = [Math.log(0.5), Math.log(0.3), Math.log(0.15), Math.log(0.05)];
  const frequencies = (settings: Parameters<typeof sampleToken>[1], draws = 20000) => {
    const random = seededRandom(1);
    const counts = [0, 0, 0, 0];
    for (let index = 0; index < draws; index++) counts[sampleToken(logits, settings, random)]! += 1;
    return counts.map((count) => count / draws);
  };

  it('draws from the softmax at temperature 1', () => {
    const observed = frequencies({ temperature: 1 });
    [0.5, 0.3, 0.15, 0.05].forEach((expected, index) => expect(observed[index]).toBeCloseTo(expected, 1));
  });

  it('keeps the k most likely tokens with top-k and the nucleus with top-p', () => {
    const topK = frequencies({ temperature: 1, topK: 2 });
    expect(topK[0]).toBeCloseTo(0.625, 1);
    expect(topK[2]! + topK[3]!).toBe(0);
    const topP = frequencies({ temperature: 1, topP: 0.7 });
    expect(topP[2]! + topP[3]!).toBe(0);
    expect(topP[1]).toBeCloseTo(0.375, 1);
  });

  it('is greedy at temperature 0 and skips masked tokens', () => {
    expect(sampleToken(logits, { temperature: 0 }, seededRandom(2))).toBe(0);
    expect(sampleToken([-Infinity, -1, -Infinity], { temperature: 1 }, seededRandom(2))).toBe(1);
  });
});
