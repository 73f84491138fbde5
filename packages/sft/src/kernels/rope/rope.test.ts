// Shape legend: B batch, H heads, T time steps, D head dimension (even).
import * as tf from '@tensorflow/tfjs';
import { InvalidOptionError, ShapeError } from '@steerlm/core';
import { describe, expect, it } from 'vitest';
import { checkGradient, contract, expectClose, forEachBackend, randomArray, randomIntegers, readFloat32 } from '../testing';
import { expectKernelChoice, itCompiledEveryProgram, itMatchesWithFusedKernelsOff } from '../testing/fused-kernel-tests';
import { ropeInverseFrequencies, type Llama3RopeScaling } from './rope-frequencies';
import { rope, ropeUsesKernel } from './rope.op';
import { ropeBackwardReference, ropeReference } from './rope.reference';

const llama31: Llama3RopeScaling = {
  factor: 8,
  lowFreqFactor: 1,
  highFreqFactor: 4,
  originalMaxPositionEmbeddings: 8192,
};

describe('rope frequencies and reference', () => {
  it('computes theta^(-2i/D) and the Llama-3 scaling bands', () => {
    const plain = ropeInverseFrequencies(128, 500000);
    expect(plain[0]).toBe(1);
    expect(plain[1]).toBeCloseTo(500000 ** (-2 / 128), 7);
    const scaled = ropeInverseFrequencies(128, 500000, llama31);
    // High frequencies (wavelength < 8192 / 4) stay, low ones (wavelength > 8192) are divided by 8.
    for (let i = 0; i < 64; i++) {
      const wavelength = (2 * Math.PI) / plain[i]!;
      if (wavelength < 2048) expect(scaled[i]).toBe(plain[i]);
      else if (wavelength > 8192) expect(scaled[i]).toBeCloseTo(plain[i]! / 8, 12);
      else {
        expect(scaled[i]!).toBeLessThan(plain[i]!);
        expect(scaled[i]!).toBeGreaterThan(plain[i]! / 8);
      }
    }
    expect(() => ropeInverseFrequencies(8, 0)).toThrow(InvalidOptionError);
    expect(() => ropeInverseFrequencies(8, 10000, { ...llama31, highFreqFactor: 1 })).toThrow(InvalidOptionError);
  });

  it('backward (inverse rotation) matches finite differences', () => {
    const [batch, heads, time, headDimension] = [2, 1, 3, 6];
    const x = randomArray(batch * heads * time * headDimension, { seed: 1 });
    const dy = randomArray(x.length, { seed: 2 });
    const base = {
      batch,
      heads,
      time,
      headDimension,
      positions: Int32Array.from([0, 1, 2, 7, 3, 40]),
      inverseFrequencies: ropeInverseFrequencies(6, 10000),
    };
    checkGradient(([input]) => contract(ropeReference({ ...base, x: input! }), dy), [ropeBackwardReference({ ...base, x }, dy)], [x], { epsilon: 1e-3 });
  });
});

interface Case {
  shape: [number, number, number, number];
  offset?: number;
  explicitPositions?: boolean;
  scaling?: Llama3RopeScaling;
  theta: number;
}

// Edge shapes: a single pair; odd H and T; D/2 odd (37 pairs); explicit far positions with Llama-3 scaling.
const cases: Case[] = [
  { shape: [1, 1, 1, 2], theta: 10000 },
  { shape: [2, 3, 5, 8], theta: 10000, offset: 17 },
  { shape: [1, 2, 3, 74], theta: 500000, offset: 1000 },
  {
    shape: [2, 2, 4, 64],
    theta: 500000,
    explicitPositions: true,
    scaling: llama31,
  },
];

await forEachBackend(['cpu', 'wasm', 'webgpu'], (context) => {
  const parity = async ({ shape, offset, explicitPositions, scaling, theta }: Case): Promise<void> => {
    expectKernelChoice(context, ropeUsesKernel());
    const [batch, heads, time, headDimension] = shape;
    const x = randomArray(shape, { seed: headDimension + time });
    const dy = randomArray(shape, { seed: 3 });
    const positions = explicitPositions
      ? randomIntegers(batch * time, 131072, 4)
      : Int32Array.from({ length: batch * time }, (_, index) => (offset ?? 0) + (index % time));
    const inverseFrequencies = ropeInverseFrequencies(headDimension, theta, scaling);
    const input = {
      x,
      batch,
      heads,
      time,
      headDimension,
      positions,
      inverseFrequencies,
    };
    const before = tf.memory().numTensors;
    const xTensor = tf.tensor4d(x, shape);
    const dyTensor = tf.tensor4d(dy, shape);
    const positionsTensor = explicitPositions ? tf.tensor2d(positions, [batch, time], 'int32') : undefined;
    const options = {
      theta,
      ...(offset !== undefined ? { positionOffset: offset } : {}),
      ...(positionsTensor ? { positions: positionsTensor } : {}),
      ...(scaling ? { scaling } : {}),
    };
    const shifted = tf.add(xTensor, 0);
    const y = rope(shifted, options);
    const [dx] = tf.grads((a: tf.Tensor) => tf.sum(tf.mul(rope(a, options), dyTensor)))([shifted]);
    // Angles reach 1.3e5 rad for the far positions: float32 cos/sin of them agree to ~1e-5.
    expectClose(await readFloat32(y, true), ropeReference(input), { atol: 2e-5, rtol: 1e-5, label: 'y' });
    expectClose(await readFloat32(dx!, true), ropeBackwardReference(input, dy), { atol: 2e-5, rtol: 1e-5, label: 'dx' });
    tf.dispose([xTensor, dyTensor, shifted, ...(positionsTensor ? [positionsTensor] : [])]);
    expect(tf.memory().numTensors).toBe(before);
  };
  it.each(cases)('forward and gradient match the reference for %j', parity);
  itMatchesWithFusedKernelsOff(context, () => parity(cases[3]!));

  it('rejects odd D, wrong positions and bad offsets', () => {
    expect(() => rope(tf.zeros([1, 1, 2, 3]), { theta: 10000 })).toThrow(ShapeError);
    const x = tf.zeros([2, 1, 3, 4]);
    expect(() =>
      rope(x, {
        theta: 10000,
        positions: tf.zeros([2, 3], 'int32').reshape([3, 2]),
      }),
    ).toThrow(ShapeError);
    expect(() => rope(x, { theta: 10000, positionOffset: -1 })).toThrow(InvalidOptionError);
    tf.dispose(x);
  });

  itCompiledEveryProgram(context);
});
