// Shape legend: N rows (tokens), C channels.
import * as tf from '@tensorflow/tfjs';
import { ShapeError } from '@steerlm/core';
import { describe, expect, it } from 'vitest';
import { checkGradient, contract, expectClose, forEachBackend, randomArray, readFloat32, ROW_KERNEL_FALLBACK_SHAPE, ROW_KERNEL_SHAPES } from '../testing';
import { expectKernelChoice, itCompiledEveryProgram, itMatchesWithFusedKernelsOff } from '../testing/fused-kernel-tests';
import { rmsNorm, rmsNormUsesKernel } from './rms-norm.op';
import { rmsNormBackwardReference, rmsNormReference } from './rms-norm.reference';

const eps = 1e-5;

describe('rmsNorm reference', () => {
  it('backward matches finite differences', () => {
    const rows = 3;
    const channels = 7;
    const x = randomArray([rows, channels], { seed: 1 });
    const weight = randomArray([channels], { seed: 2, min: 0.5, max: 1.5 });
    const dy = randomArray([rows, channels], { seed: 3 });
    const { dx, dweight } = rmsNormBackwardReference({ x, weight, rows, channels, eps }, dy);
    checkGradient(([xIn, wIn]) => contract(rmsNormReference({ x: xIn!, weight: wIn!, rows, channels, eps }), dy), [dx, dweight], [x, weight], {
      epsilon: 1e-3,
    });
  });
});

await forEachBackend(['cpu', 'wasm', 'webgpu'], (context) => {
  const parity = async (rows: number, channels: number): Promise<void> => {
    expectKernelChoice(context, rmsNormUsesKernel());
    const x = randomArray([rows, channels], { seed: rows * 7 + channels, min: -2, max: 2 });
    const weight = randomArray([channels], { seed: 11, min: 0.5, max: 1.5 });
    const dy = randomArray([rows, channels], { seed: 13 });
    const expected = rmsNormReference({ x, weight, rows, channels, eps });
    const { dx, dweight } = rmsNormBackwardReference({ x, weight, rows, channels, eps }, dy);
    const before = tf.memory().numTensors;
    const [xTensor, weightTensor, dyTensor] = [tf.tensor2d(x, [rows, channels]), tf.tensor1d(weight), tf.tensor2d(dy, [rows, channels])];
    // A tfjs op feeds the kernel, to check ordering with tfjs's queued commands.
    const shifted = tf.add(xTensor, 0);
    const y = rmsNorm(shifted, weightTensor, eps);
    const [dxTensor, dweightTensor] = tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(rmsNorm(a, b, eps), dyTensor)))([shifted, weightTensor]);
    expectClose(await readFloat32(y, true), expected, { atol: 1e-5, rtol: 1e-4, label: 'y' });
    expectClose(await readFloat32(dxTensor!, true), dx, { atol: 1e-4, rtol: 1e-3, label: 'dx' });
    expectClose(await readFloat32(dweightTensor!, true), dweight, { atol: 1e-4, rtol: 1e-3, label: 'dweight' });
    tf.dispose([xTensor, weightTensor, dyTensor, shifted]);
    expect(tf.memory().numTensors).toBe(before);
  };
  it.each(ROW_KERNEL_SHAPES)('forward and gradients match the reference for [%i, %i]', parity);
  itMatchesWithFusedKernelsOff(context, () => parity(...ROW_KERNEL_FALLBACK_SHAPE));

  it('keeps leading axes and rejects a weight of the wrong length', async () => {
    const [x, weight, wrongWeight] = [tf.ones([2, 3, 4]), tf.ones([4]), tf.ones([5])];
    const y = rmsNorm(x, weight);
    expect(y.shape).toEqual([2, 3, 4]);
    expectClose(await readFloat32(y, true), new Float32Array(24).fill(1 / Math.sqrt(1 + 1e-6)), { label: 'ones' });
    expect(() => rmsNorm(x, wrongWeight)).toThrow(ShapeError);
    tf.dispose([x, weight, wrongWeight]);
  });

  itCompiledEveryProgram(context);
});
