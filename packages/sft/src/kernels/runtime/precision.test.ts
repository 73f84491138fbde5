import * as tf from '@tensorflow/tfjs';
import { BackendError } from '@steerlm/core';
import { describe, expect, it } from 'vitest';
import type { DeviceFeatures } from '../../backend';
import { forEachBackend, itCompiledEveryProgram, randomArray, readFloat32, roundArrayToFloat16, unpackHalves } from '../testing';
import { castToHalf } from './half-cast';
import { activeMixedPrecision, halfStorageShape, resolvePrecision, withMixedPrecision } from './precision';

const withF16 = { hasF16: true } as DeviceFeatures;
const withoutF16 = { hasF16: false } as DeviceFeatures;

describe('resolvePrecision', () => {
  it('gives mixed only on fused webgpu with shader-f16, and says why otherwise', () => {
    expect(resolvePrecision('mixed', true, withF16)).toEqual({ requested: 'mixed', used: 'mixed' });
    expect(resolvePrecision('mixed', true, withoutF16)).toEqual({ requested: 'mixed', used: 'f32', reason: expect.stringMatching(/shader-f16/) });
    expect(resolvePrecision('mixed', false, null).used).toBe('f32');
    expect(resolvePrecision('mixed', false, null).reason).toMatch(/webgpu/);
    expect(resolvePrecision('f32', true, withF16)).toEqual({ requested: 'f32', used: 'f32' });
  });

  it('packs two halves per float32 slot and scopes the mixed-precision context', () => {
    expect(halfStorageShape([3, 5])).toEqual([8]);
    expect(halfStorageShape([4])).toEqual([2]);
    const scope = { halfCopyOf: () => undefined, lossScale: null };
    expect(withMixedPrecision(scope, () => activeMixedPrecision())).toBe(scope);
    expect(activeMixedPrecision()).toBeNull();
  });
});

await forEachBackend(['webgpu'], (context) => {
  it('castToHalf stores odd-sized tensors as f16 (round to nearest even), NaN past the f16 range', async () => {
    if (!context.features!.hasF16) return;
    for (const shape of [[1], [7, 13], [3, 1, 5]]) {
      const values = randomArray(shape, { seed: shape.length, distribution: 'normal' });
      values[0] = 1 + 2 ** -11; // a tie: rounds to 1 (even)
      const x = tf.tensor(values, shape);
      const half = castToHalf(x);
      expect(half.shape).toEqual(halfStorageShape(shape));
      const stored = unpackHalves(await readFloat32(half), x.size);
      expect(Array.from(stored)).toEqual(Array.from(roundArrayToFloat16(values)));
      expect(stored[0]).toBe(1);
      tf.dispose([x, half]);
    }
    const x = tf.tensor1d([65504, 65519, 65520, -1e6, Infinity, 6e-8, 1e-9]);
    const stored = unpackHalves(await readFloat32(castToHalf(x)), 7);
    expect(Array.from(stored.slice(0, 2))).toEqual([65504, 65504]);
    expect(stored.slice(2, 5).every(Number.isNaN)).toBe(true);
    expect(stored[5]).toBeCloseTo(5.96e-8, 9); // the smallest subnormal
    expect(stored[6]).toBe(0);
    x.dispose();
  });

  it('castToHalf refuses int32 tensors', () => {
    const ids = tf.tensor1d([1, 2], 'int32');
    expect(() => castToHalf(ids)).toThrow(BackendError);
    ids.dispose();
  });

  itCompiledEveryProgram(context);
});
