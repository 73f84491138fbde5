import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { compareClose, expectClose } from './expect-close';
import { roundToFloat16 } from './float16';
import { backendTestPlan, forEachBackend } from './for-each-backend';
import { checkGradient, contract, numericalGradient } from './gradient-check';
import { createRandom, randomArray, randomIntegers } from './seeded-random';
import { readFloat32 } from './tensor-helpers';
import { toleranceFor, TOLERANCES } from './tolerances';

describe('seeded random arrays', () => {
  it('repeat for a seed, differ across seeds, and respect shape and range', () => {
    const a = randomArray([3, 5, 7], { seed: 42 });
    expect(a).toHaveLength(105);
    expect(randomArray([3, 5, 7], { seed: 42 })).toEqual(a);
    expect(randomArray(105, { seed: 43 })).not.toEqual(a);
    expect(Math.min(...a)).toBeGreaterThanOrEqual(-1);
    expect(Math.max(...a)).toBeLessThan(1);
    const normal = randomArray(20_000, { seed: 1, distribution: 'normal', std: 2 });
    const mean = normal.reduce((s, v) => s + v, 0) / normal.length;
    const variance = normal.reduce((s, v) => s + (v - mean) ** 2, 0) / normal.length;
    expect(Math.abs(mean)).toBeLessThan(0.05);
    expect(Math.sqrt(variance)).toBeCloseTo(2, 1);
    expect(randomArray([], { seed: 3 })).toHaveLength(1);
    const ints = randomIntegers(1000, 7, 9);
    expect(Math.max(...ints)).toBe(6);
    expect(Math.min(...ints)).toBe(0);
    expect(createRandom(5)()).toBe(createRandom(5)());
  });
});

describe('expectClose', () => {
  it('applies |a - e| <= atol + rtol * |e|', () => {
    expect(() => expectClose([1.0, 100.05], [1.0, 100], { atol: 0, rtol: 1e-3 })).not.toThrow();
    expect(() => expectClose([1.0, 100.2], [1.0, 100], { atol: 0, rtol: 1e-3 })).toThrow();
    expect(() => expectClose([0.5], [0], { atol: 0.6, rtol: 0 })).not.toThrow();
  });

  it('names the worst element with its coordinates and values', () => {
    expect(() => expectClose([1, 2, 3, 4, 5, 9], [1, 2, 3, 4, 5, 6], { label: 'matmul', shape: [2, 3] })).toThrow(
      /matmul: 1 of 6 elements .*worst at \[1, 2\] \(flat 5\): actual 9, expected 6/,
    );
    expect(() => expectClose([1], [1, 2])).toThrow(/length 1 differs/);
  });

  it('treats NaN and Inf as equal only to themselves', () => {
    expect(compareClose([NaN, Infinity], [NaN, Infinity], TOLERANCES.f32).ok).toBe(true);
    expect(compareClose([NaN], [1], TOLERANCES.f32).ok).toBe(false);
    expect(compareClose([1], [Infinity], TOLERANCES.f32).ok).toBe(false);
  });

  it('scales atol with the magnitude for long reductions', () => {
    expect(toleranceFor('f16', 8)).toEqual({ atol: TOLERANCES.f16.atol * 8, rtol: TOLERANCES.f16.rtol });
  });
});

describe('gradient checker', () => {
  it('matches analytic gradients and catches wrong ones', () => {
    const x = randomArray(6, { seed: 2 });
    const w = randomArray(6, { seed: 3 });
    // f(x, w) = sum(w * x^3)
    const f = ([xs, ws]: Float32Array[]): number =>
      contract(
        xs!.map((v) => v ** 3),
        ws!,
      );
    const dx = x.map((v, i) => 3 * v * v * w[i]!);
    const dw = x.map((v) => v ** 3);
    checkGradient(f, [dx, dw], [x, w]);
    expect(() => checkGradient(f, [dx.map((v) => v * 1.1), dw], [x, w])).toThrow(/gradient of input 0/);
    expect(numericalGradient(f, [x, w])).toHaveLength(2);
  });
});

describe('backendTestPlan', () => {
  it('runs available backends, skips a missing adapter locally and fails on CI', () => {
    expect(backendTestPlan(null, true)).toBe('run');
    expect(backendTestPlan('no WebGPU adapter was found', false)).toBe('skip');
    expect(backendTestPlan('no WebGPU adapter was found', true)).toBe('fail');
  });
});

await forEachBackend(['cpu', 'wasm', 'webgpu'], (context) => {
  it('activates the backend it names', async () => {
    expect(tf.getBackend()).toBe(context.backend);
    expect(context.features === null).toBe(context.backend !== 'webgpu');
    const values = await readFloat32(tf.add(tf.tensor1d([1, 2]), 1), true);
    expectClose(values, [2, 3]);
  });
});

describe('float16 rounding', () => {
  it('rounds to the f16 grid', () => {
    expect(roundToFloat16(1)).toBe(1);
    expect(roundToFloat16(1 + 2 ** -11)).toBe(1); // tie goes to even
    expect(roundToFloat16(1 + 3 * 2 ** -11)).toBe(1 + 2 ** -9);
    expect(roundToFloat16(0.1)).toBeCloseTo(0.0999755859375, 12);
    expect(roundToFloat16(70000)).toBe(Infinity);
    expect(roundToFloat16(2 ** -24)).toBe(2 ** -24);
  });
});
