/**
 * Checks of the attention reference itself: masking semantics against a naive softmax, and its
 * backward pass against central finite differences of its forward pass (float64 throughout).
 * Shape legend: B batch, H query heads, Hkv key/value heads, T time, D head size.
 */
import { describe, expect, it } from 'vitest';
import { ShapeError } from '@steerlm/core';
import { createRandom } from '../testing';
import { attentionBackwardReference, attentionForwardReference, type AttentionMaskOptions, type AttentionShape } from './attention.reference';

function randomArray(length: number, seed: number): Float64Array {
  const next = createRandom(seed);
  return Float64Array.from({ length }, () => next() * 2 - 1);
}

/** Loss = Σ out ∘ weights, so dLoss/dout = weights. */
function weightedLoss(q: Float64Array, k: Float64Array, v: Float64Array, weights: Float64Array, shape: AttentionShape, options: AttentionMaskOptions): number {
  const { out } = attentionForwardReference(q, k, v, shape, options);
  let sum = 0;
  for (let index = 0; index < out.length; index++) sum += out[index]! * weights[index]!;
  return sum;
}

function checkGradients(shape: AttentionShape, options: AttentionMaskOptions, seed: number): void {
  const { batch, heads, kvHeads, time, headDim } = shape;
  const q = randomArray(batch * heads * time * headDim, seed);
  const k = randomArray(batch * kvHeads * time * headDim, seed + 1);
  const v = randomArray(batch * kvHeads * time * headDim, seed + 2);
  const weights = randomArray(batch * heads * time * headDim, seed + 3);
  const { out, logSumExp } = attentionForwardReference(q, k, v, shape, options);
  const gradients = attentionBackwardReference(q, k, v, out, logSumExp, weights, shape, options);
  const epsilon = 1e-5;
  for (const [name, input, analytic] of [
    ['q', q, gradients.dq],
    ['k', k, gradients.dk],
    ['v', v, gradients.dv],
  ] as const) {
    for (let index = 0; index < input.length; index++) {
      const saved = input[index]!;
      input[index] = saved + epsilon;
      const plus = weightedLoss(q, k, v, weights, shape, options);
      input[index] = saved - epsilon;
      const minus = weightedLoss(q, k, v, weights, shape, options);
      input[index] = saved;
      const numeric = (plus - minus) / (2 * epsilon);
      expect(Math.abs(analytic[index]! - numeric), `d${name}[${index}]`).toBeLessThan(1e-7 + 1e-6 * Math.abs(numeric));
    }
  }
}

describe('attention reference forward', () => {
  it('matches a naive masked softmax, with segments, padding and grouped heads', () => {
    const shape: AttentionShape = { batch: 2, heads: 4, kvHeads: 2, time: 6, headDim: 3 };
    const options: AttentionMaskOptions = { validLengths: [6, 4], segmentIds: [0, 0, 1, 1, 1, 2, 5, 5, 5, 6, 6, 6], scale: 0.7 };
    const q = randomArray(2 * 4 * 6 * 3, 1);
    const k = randomArray(2 * 2 * 6 * 3, 2);
    const v = randomArray(2 * 2 * 6 * 3, 3);
    const { out, logSumExp } = attentionForwardReference(q, k, v, shape, options);
    for (let b = 0; b < 2; b++) {
      for (let h = 0; h < 4; h++) {
        const kvHead = Math.floor(h / 2);
        for (let i = 0; i < 6; i++) {
          const allowed: number[] = [];
          for (let j = 0; j <= i; j++) {
            if (j < options.validLengths![b]! && options.segmentIds![b * 6 + j] === options.segmentIds![b * 6 + i]) allowed.push(j);
          }
          const scores = allowed.map((j) => {
            let dot = 0;
            for (let d = 0; d < 3; d++) dot += q[((b * 4 + h) * 6 + i) * 3 + d]! * k[((b * 2 + kvHead) * 6 + j) * 3 + d]!;
            return dot * 0.7;
          });
          const total = scores.reduce((sum, s) => sum + Math.exp(s), 0);
          const row = (b * 4 + h) * 6 + i;
          if (allowed.length === 0) {
            expect(logSumExp[row]).toBe(-Infinity);
          } else {
            expect(logSumExp[row]).toBeCloseTo(Math.log(total), 12);
          }
          for (let d = 0; d < 3; d++) {
            const expected = allowed.reduce((sum, j, n) => sum + (Math.exp(scores[n]!) / (total || 1)) * v[((b * 2 + kvHead) * 6 + j) * 3 + d]!, 0);
            expect(out[row * 3 + d]).toBeCloseTo(expected, 12);
          }
        }
      }
    }
  });

  it('gives zero output and -Infinity log-sum-exp to a query with no visible key', () => {
    const shape: AttentionShape = { batch: 1, heads: 1, kvHeads: 1, time: 3, headDim: 2 };
    const { out, logSumExp } = attentionForwardReference(randomArray(6, 4), randomArray(6, 5), randomArray(6, 6), shape, {
      keyMask: [0, 1, 1],
    });
    expect(logSumExp[0]).toBe(-Infinity);
    expect(Array.from(out.subarray(0, 2))).toEqual([0, 0]);
    expect(Number.isFinite(logSumExp[1])).toBe(true);
  });

  it('rejects mismatched shapes with a ShapeError', () => {
    const shape: AttentionShape = { batch: 1, heads: 3, kvHeads: 2, time: 2, headDim: 2 };
    expect(() => attentionForwardReference(new Float64Array(12), new Float64Array(8), new Float64Array(8), shape)).toThrow(ShapeError);
    const good: AttentionShape = { batch: 1, heads: 2, kvHeads: 1, time: 2, headDim: 2 };
    expect(() => attentionForwardReference(new Float64Array(8), new Float64Array(3), new Float64Array(4), good)).toThrow(/k has 3 elements/);
    expect(() => attentionForwardReference(new Float64Array(8), new Float64Array(4), new Float64Array(4), good, { validLengths: [1, 2] })).toThrow(
      /validLengths has 2 entries/,
    );
  });
});

describe('attention reference backward vs finite differences', () => {
  it('plain causal, one head', () => checkGradients({ batch: 1, heads: 1, kvHeads: 1, time: 5, headDim: 4 }, {}, 10));
  it('grouped-query heads (H=4, Hkv=2) and a custom scale', () => checkGradients({ batch: 1, heads: 4, kvHeads: 2, time: 4, headDim: 3 }, { scale: 0.3 }, 20));
  it('valid lengths per batch row', () => checkGradients({ batch: 2, heads: 2, kvHeads: 1, time: 5, headDim: 3 }, { validLengths: [5, 2] }, 30));
  it('key mask with a fully masked first query, and segment ids', () =>
    checkGradients(
      { batch: 2, heads: 2, kvHeads: 2, time: 5, headDim: 2 },
      { keyMask: [0, 1, 1, 0, 1, 1, 1, 1, 1, 1], segmentIds: [0, 0, 0, 1, 1, 3, 3, 4, 4, 4] },
      40,
    ));
  it('T=1', () => checkGradients({ batch: 1, heads: 2, kvHeads: 1, time: 1, headDim: 5 }, {}, 50));
});
