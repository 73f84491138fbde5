// Shape legend: any shape; elementwise.
import * as tf from '@tensorflow/tfjs';
import { InvalidOptionError, ShapeError } from '@steerlm/core';
import { describe, expect, it } from 'vitest';
import { checkGradient, contract, expectClose, forEachBackend, randomArray, readFloat32 } from '../testing';
import { expectKernelChoice, itCompiledEveryProgram, itMatchesWithFusedKernelsOff } from '../testing/fused-kernel-tests';
import { activationsUseKernel, gelu, swiglu } from './activations.op';
import { erfReference, geluBackwardReference, geluReference, swigluBackwardReference, swigluReference, type GeluApproximation } from './activations.reference';

const approximations: GeluApproximation[] = ['tanh', 'erf'];

describe('activation references', () => {
  it('erf matches known values', () => {
    expect(erfReference(0)).toBe(0);
    expect(erfReference(0.5)).toBeCloseTo(0.5204998778130465, 14);
    expect(erfReference(-1)).toBeCloseTo(-0.8427007929497149, 14);
    expect(erfReference(2.5)).toBeCloseTo(0.999593047982555, 13);
    expect(erfReference(4)).toBeCloseTo(0.9999999845827421, 14);
  });

  it('swiglu backward matches finite differences', () => {
    const gate = randomArray(13, { seed: 1, min: -4, max: 4 });
    const up = randomArray(13, { seed: 2 });
    const dy = randomArray(13, { seed: 3 });
    const { dgate, dup } = swigluBackwardReference(gate, up, dy);
    checkGradient(([g, u]) => contract(swigluReference(g!, u!), dy), [dgate, dup], [gate, up], { epsilon: 1e-3 });
  });

  it.each(approximations)('gelu (%s) backward matches finite differences', (approximation) => {
    const x = randomArray(17, { seed: 4, min: -5, max: 5 });
    const dy = randomArray(17, { seed: 5 });
    checkGradient(([input]) => contract(geluReference(input!, approximation), dy), [geluBackwardReference(x, dy, approximation)], [x], { epsilon: 1e-3 });
  });
});

// Edge shapes: a single element, an odd count, a count just past the 256-wide workgroup, a larger 3-D one.
const shapes: number[][] = [[1], [37], [257], [4, 3, 250]];

await forEachBackend(['cpu', 'wasm', 'webgpu'], (context) => {
  const swigluParity = async (...shape: number[]): Promise<void> => {
    expectKernelChoice(context, activationsUseKernel());
    const size = shape.reduce((a, b) => a * b, 1);
    const gate = randomArray(size, { seed: size, min: -30, max: 30 });
    const up = randomArray(size, { seed: size + 1, min: -2, max: 2 });
    const dy = randomArray(size, { seed: size + 2 });
    const before = tf.memory().numTensors;
    const [gateTensor, upTensor, dyTensor] = [tf.tensor(gate, shape), tf.tensor(up, shape), tf.tensor(dy, shape)];
    const shifted = tf.add(gateTensor, 0);
    const y = swiglu(shifted, upTensor);
    expect(y.shape).toEqual(shape);
    const [dgate, dup] = tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(swiglu(a, b), dyTensor)))([shifted, upTensor]);
    const expected = swigluBackwardReference(gate, up, dy);
    expectClose(await readFloat32(y, true), swigluReference(gate, up), { atol: 1e-5, rtol: 1e-5, label: 'y' });
    expectClose(await readFloat32(dgate!, true), expected.dgate, { atol: 1e-5, rtol: 1e-4, label: 'dgate' });
    expectClose(await readFloat32(dup!, true), expected.dup, { atol: 1e-5, rtol: 1e-5, label: 'dup' });
    tf.dispose([gateTensor, upTensor, dyTensor, shifted]);
    expect(tf.memory().numTensors).toBe(before);
  };
  it.each(shapes)('swiglu forward and gradients match the reference for %j', swigluParity);

  const geluParity = async (approximation: GeluApproximation, shape: number[]): Promise<void> => {
    const size = shape.reduce((a, b) => a * b, 1);
    // Wide range: large |x| checks the tanh clamp and the erf tails.
    const x = randomArray(size, { seed: size + 3, min: -12, max: 12 });
    const dy = randomArray(size, { seed: size + 4 });
    const before = tf.memory().numTensors;
    const [xTensor, dyTensor] = [tf.tensor(x, shape), tf.tensor(dy, shape)];
    const y = gelu(xTensor, { approximation });
    const [dx] = tf.grads((a: tf.Tensor) => tf.sum(tf.mul(gelu(a, { approximation }), dyTensor)))([xTensor]);
    expectClose(await readFloat32(y, true), geluReference(x, approximation), { atol: 2e-6, rtol: 1e-5, label: 'y' });
    expectClose(await readFloat32(dx!, true), geluBackwardReference(x, dy, approximation), { atol: 2e-6, rtol: 1e-4, label: 'dx' });
    tf.dispose([xTensor, dyTensor]);
    expect(tf.memory().numTensors).toBe(before);
  };
  for (const approximation of approximations) {
    it.each(shapes)(`gelu (${approximation}) forward and gradient match the reference for %j`, (...shape) => geluParity(approximation, shape));
  }

  itMatchesWithFusedKernelsOff(
    context,
    async () => {
      await swigluParity(4, 3, 250);
      for (const approximation of approximations) await geluParity(approximation, [257]);
    },
    'the composed fallbacks match too (fused kernels off)',
  );

  it('rejects mismatched shapes and unknown approximations', () => {
    const a = tf.zeros([2, 3]);
    expect(() => swiglu(a, tf.zeros([3, 2]))).toThrow(ShapeError);
    expect(() => gelu(a, { approximation: 'fast' as GeluApproximation })).toThrow(InvalidOptionError);
    tf.dispose(a);
  });

  itCompiledEveryProgram(context);
});
