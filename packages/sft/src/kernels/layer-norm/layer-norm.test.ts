// Shape legend: N rows (tokens), C channels.
import * as tf from '@tensorflow/tfjs';
import { ShapeError } from '@steerlm/core';
import { describe, expect, it } from 'vitest';
import { checkGradient, contract, expectClose, forEachBackend, randomArray, readFloat32, ROW_KERNEL_FALLBACK_SHAPE, ROW_KERNEL_SHAPES } from '../testing';
import { expectKernelChoice, itCompiledEveryProgram, itMatchesWithFusedKernelsOff } from '../testing/fused-kernel-tests';
import { layerNorm, layerNormUsesKernel } from './layer-norm.op';
import { layerNormBackwardReference, layerNormReference } from './layer-norm.reference';

const eps = 1e-5;

describe('layerNorm reference', () => {
  it('backward matches finite differences', () => {
    const rows = 3;
    const channels = 7;
    const x = randomArray([rows, channels], { seed: 1 });
    const weight = randomArray([channels], { seed: 2, min: 0.5, max: 1.5 });
    const bias = randomArray([channels], { seed: 4 });
    const dy = randomArray([rows, channels], { seed: 3 });
    const { dx, dweight, dbias } = layerNormBackwardReference({ x, weight, bias, rows, channels, eps }, dy);
    const forward = ([xIn, wIn, bIn]: Float32Array[]): number => contract(layerNormReference({ x: xIn!, weight: wIn!, bias: bIn!, rows, channels, eps }), dy);
    checkGradient(forward, [dx, dweight, dbias], [x, weight, bias], { epsilon: 1e-3 });
  });
});

await forEachBackend(['cpu', 'wasm', 'webgpu'], (context) => {
  const parity = async (rows: number, channels: number): Promise<void> => {
    expectKernelChoice(context, layerNormUsesKernel());
    // An offset mean checks the centred (two-pass) variance.
    const x = randomArray([rows, channels], { seed: rows * 7 + channels, min: 3, max: 7 });
    const weight = randomArray([channels], { seed: 11, min: 0.5, max: 1.5 });
    const bias = randomArray([channels], { seed: 12 });
    const dy = randomArray([rows, channels], { seed: 13 });
    const expected = layerNormReference({
      x,
      weight,
      bias,
      rows,
      channels,
      eps,
    });
    const gradients = layerNormBackwardReference({ x, weight, bias, rows, channels, eps }, dy);
    const before = tf.memory().numTensors;
    const xTensor = tf.tensor2d(x, [rows, channels]);
    const weightTensor = tf.tensor1d(weight);
    const biasTensor = tf.tensor1d(bias);
    const dyTensor = tf.tensor2d(dy, [rows, channels]);
    const shifted = tf.add(xTensor, 0);
    const y = layerNorm(shifted, weightTensor, biasTensor, eps);
    const [dx, dweight, dbias] = tf.grads((a: tf.Tensor, b: tf.Tensor, c: tf.Tensor) => tf.sum(tf.mul(layerNorm(a, b, c, eps), dyTensor)))([
      shifted,
      weightTensor,
      biasTensor,
    ]);
    expectClose(await readFloat32(y, true), expected, { atol: 1e-4, rtol: 1e-4, label: 'y' });
    expectClose(await readFloat32(dx!, true), gradients.dx, { atol: 2e-4, rtol: 1e-3, label: 'dx' });
    expectClose(await readFloat32(dweight!, true), gradients.dweight, { atol: 1e-4, rtol: 1e-3, label: 'dweight' });
    expectClose(await readFloat32(dbias!, true), gradients.dbias, { atol: 1e-4, rtol: 1e-3, label: 'dbias' });
    tf.dispose([xTensor, weightTensor, biasTensor, dyTensor, shifted]);
    expect(tf.memory().numTensors).toBe(before);
  };
  it.each(ROW_KERNEL_SHAPES)('forward and gradients match the reference for [%i, %i]', parity);
  itMatchesWithFusedKernelsOff(context, () => parity(...ROW_KERNEL_FALLBACK_SHAPE));

  it('keeps leading axes and rejects a bias of the wrong length', () => {
    const x = tf.ones([2, 3, 4]);
    const y = layerNorm(x, tf.ones([4]), tf.zeros([4]));
    expect(y.shape).toEqual([2, 3, 4]);
    expect(() => layerNorm(x, tf.ones([4]), tf.zeros([3]))).toThrow(ShapeError);
    tf.dispose([x, y]);
  });

  itCompiledEveryProgram(context);
});
