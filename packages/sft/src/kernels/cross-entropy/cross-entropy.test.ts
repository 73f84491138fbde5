// Shape legend: N rows (tokens), V vocabulary size.
import * as tf from '@tensorflow/tfjs';
import { ShapeError } from '@steerlm/core';
import { describe, expect, it } from 'vitest';
import { checkCompiledPrograms } from '../runtime';
import { checkGradient, contract, expectClose, forEachBackend, randomArray, randomIntegers, readFloat32 } from '../testing';
import { expectKernelChoice, itMatchesWithFusedKernelsOff } from '../testing/fused-kernel-tests';
import { crossEntropy, crossEntropyUsesKernel, maskedMeanCrossEntropy } from './cross-entropy.op';
import { crossEntropyBackwardReference, crossEntropyReference, maskedMeanReference } from './cross-entropy.reference';

function maskFor(rows: number, seed: number): Float32Array {
  // Mostly ones, some zeros, one fractional weight; the first row always counts.
  return randomArray([rows], { seed, min: 0, max: 1 }).map((value, index) => (index === 0 ? 1 : value < 0.25 ? 0 : value < 0.35 ? 0.5 : 1));
}

describe('crossEntropy reference', () => {
  it('backward matches finite differences', () => {
    const rows = 4;
    const vocabulary = 9;
    const logits = randomArray([rows, vocabulary], { seed: 1, min: -3, max: 3 });
    const targets = randomIntegers(rows, vocabulary, 2);
    const lossMask = Float32Array.from([1, 0, 0.5, 1]);
    const dlosses = randomArray([rows], { seed: 3 });
    const dlogits = crossEntropyBackwardReference({ logits, targets, lossMask, rows, vocabulary }, dlosses);
    checkGradient(
      ([input]) =>
        contract(
          crossEntropyReference({
            logits: input!,
            targets,
            lossMask,
            rows,
            vocabulary,
          }),
          dlosses,
        ),
      [dlogits],
      [logits],
      {
        epsilon: 1e-3,
      },
    );
  });
});

// Edge shapes: one row, odd V, V not a multiple of the workgroup, a GPT-2-sized vocabulary.
const shapes: Array<[number, number]> = [
  [1, 37],
  [6, 300],
  [3, 3000],
  [2, 50257],
];

await forEachBackend(['cpu', 'wasm', 'webgpu'], (context) => {
  const parity = async (rows: number, vocabulary: number): Promise<void> => {
    expectKernelChoice(context, crossEntropyUsesKernel());
    // Large logits check the max-subtracted log-sum-exp (exp(60) overflows nothing only when shifted).
    const logits = randomArray([rows, vocabulary], { seed: rows + vocabulary, min: -60, max: 60 });
    const targets = randomIntegers(rows, vocabulary, 5);
    const lossMask = maskFor(rows, 6);
    const dlosses = randomArray([rows], { seed: 7 });
    const input = { logits, targets, lossMask, rows, vocabulary };
    const before = tf.memory().numTensors;
    const logitsTensor = tf.tensor2d(logits, [rows, vocabulary]);
    const targetsTensor = tf.tensor1d(targets, 'int32');
    const maskTensor = tf.tensor1d(lossMask);
    const dlossesTensor = tf.tensor1d(dlosses);
    const shifted = tf.add(logitsTensor, 0);
    const losses = crossEntropy(shifted, targetsTensor, maskTensor);
    const [dlogits] = tf.grads((a: tf.Tensor) => tf.sum(tf.mul(crossEntropy(a, targetsTensor, maskTensor), dlossesTensor)))([shifted]);
    expectClose(await readFloat32(losses, true), crossEntropyReference(input), { atol: 1e-4, rtol: 1e-5, label: 'losses' });
    expectClose(await readFloat32(dlogits!, true), crossEntropyBackwardReference(input, dlosses), { atol: 1e-6, rtol: 1e-4, label: 'dlogits' });
    tf.dispose([logitsTensor, targetsTensor, maskTensor, dlossesTensor, shifted]);
    expect(tf.memory().numTensors).toBe(before);
  };
  it.each(shapes)('losses and dlogits match the reference for [%i, %i]', parity);
  itMatchesWithFusedKernelsOff(context, () => parity(...shapes[1]!));

  it('gives the masked mean and its gradient over [B, T, V] logits', async () => {
    const [batch, time, vocabulary] = [2, 3, 11];
    const logits = randomArray([batch * time, vocabulary], { seed: 9, min: -4, max: 4 });
    const targets = randomIntegers(batch * time, vocabulary, 10);
    const lossMask = Float32Array.from([1, 1, 0, 1, 0, 0]);
    const rows = batch * time;
    const expectedMean = maskedMeanReference(crossEntropyReference({ logits, targets, lossMask, rows, vocabulary }), lossMask);
    const expectedGradient = crossEntropyBackwardReference({ logits, targets, lossMask, rows, vocabulary }, new Float32Array(rows).fill(1 / 3));
    const logitsTensor = tf.tensor3d(logits, [batch, time, vocabulary]);
    const targetsTensor = tf.tensor2d(targets, [batch, time], 'int32');
    const maskTensor = tf.tensor2d(lossMask, [batch, time]);
    const { value, grads } = tf.valueAndGrads((a: tf.Tensor) => maskedMeanCrossEntropy(a, targetsTensor, maskTensor))([logitsTensor]);
    expect(value.shape).toEqual([]);
    expectClose(await readFloat32(value, true), [expectedMean], { atol: 1e-5, rtol: 1e-5, label: 'mean' });
    expectClose(await readFloat32(grads[0]!, true), expectedGradient, { atol: 1e-6, rtol: 1e-4, label: 'dlogits' });
    const allMasked = maskedMeanCrossEntropy(logitsTensor, targetsTensor, tf.zerosLike(maskTensor));
    expect((await readFloat32(allMasked, true))[0]).toBe(0);
    tf.dispose([logitsTensor, targetsTensor, maskTensor]);
  });

  it('rejects targets outside the vocabulary and mismatched shapes with ShapeError', () => {
    const logits = tf.zeros([2, 5]);
    const mask = tf.ones([2]);
    expect(() => crossEntropy(logits, tf.tensor1d([0, 5], 'int32'), mask)).toThrow(ShapeError);
    expect(() => crossEntropy(logits, tf.tensor1d([-100, 1], 'int32'), mask)).toThrow(/targets\[0\] = -100/);
    expect(() => crossEntropy(logits, tf.tensor1d([0, 1, 2], 'int32'), mask)).toThrow(ShapeError);
    expect(() => crossEntropy(logits, tf.tensor1d([0, 1], 'float32'), mask)).toThrow(ShapeError);
    tf.dispose([logits, mask]);
  });

  if (context.backend === 'webgpu') {
    it('marks a GPU-resident out-of-range target with a NaN loss', async () => {
      // Without CPU forwarding, the add runs on the GPU and its result is not readable on the host.
      const forwarding = tf.env().getBool('WEBGPU_CPU_FORWARD');
      tf.env().set('WEBGPU_CPU_FORWARD', false);
      try {
        const targets = tf.add(tf.tensor1d([1, 9], 'int32'), tf.scalar(0, 'int32'));
        const losses = await readFloat32(crossEntropy(tf.zeros([2, 5]), targets, tf.ones([2])), true);
        expect(losses[0]).toBeCloseTo(Math.log(5), 5);
        expect(Number.isNaN(losses[1])).toBe(true);
      } finally {
        tf.env().set('WEBGPU_CPU_FORWARD', forwarding);
      }
    });

    it('compiled every WGSL program', async () => {
      await expect(checkCompiledPrograms()).resolves.toBeUndefined();
    });
  }
});
