// Shape legend: V vocabulary rows, C channels, N looked-up ids.
import * as tf from '@tensorflow/tfjs';
import { ShapeError } from '@steerlm/core';
import { describe, expect, it } from 'vitest';
import { checkGradient, contract, expectClose, forEachBackend, randomArray, randomIntegers, readFloat32 } from '../testing';
import { expectKernelChoice, itCompiledEveryProgram, itMatchesWithFusedKernelsOff } from '../testing/fused-kernel-tests';
import { embedding, embeddingUsesKernel } from './embedding.op';
import { embeddingBackwardReference, embeddingReference } from './embedding.reference';

describe('embedding reference', () => {
  it('backward matches finite differences', () => {
    const [vocabulary, channels] = [5, 3];
    const ids = Int32Array.from([4, 0, 4, 2, 4]);
    const table = randomArray([vocabulary, channels], { seed: 1 });
    const dy = randomArray([ids.length, channels], { seed: 2 });
    checkGradient(([input]) => contract(embeddingReference(input!, ids, channels), dy), [embeddingBackwardReference(dy, ids, vocabulary, channels)], [table]);
  });
});

interface Case {
  vocabulary: number;
  channels: number;
  count: number;
  /** Draw ids from [0, idRange) only, so repeats are frequent and most rows get no gradient. */
  idRange?: number;
}

// Edge cases: one id; odd C; N past the 256-wide sort tile with many repeats; large C; a 50k vocabulary.
const cases: Case[] = [
  { vocabulary: 1, channels: 1, count: 1 },
  { vocabulary: 11, channels: 37, count: 9 },
  { vocabulary: 40, channels: 5, count: 600, idRange: 7 },
  { vocabulary: 13, channels: 3000, count: 6 },
  { vocabulary: 50257, channels: 4, count: 33 },
];

await forEachBackend(['cpu', 'wasm', 'webgpu'], (context) => {
  const parity = async ({ vocabulary, channels, count, idRange }: Case): Promise<void> => {
    expectKernelChoice(context, embeddingUsesKernel());
    const table = randomArray([vocabulary, channels], { seed: vocabulary + channels });
    const ids = randomIntegers(count, idRange ?? vocabulary, count);
    const dy = randomArray([count, channels], { seed: 3 });
    const before = tf.memory().numTensors;
    const tableTensor = tf.tensor2d(table, [vocabulary, channels]);
    const idsTensor = tf.tensor1d(ids, 'int32');
    const dyTensor = tf.tensor2d(dy, [count, channels]);
    const shifted = tf.add(tableTensor, 0);
    const out = embedding(shifted, idsTensor);
    const [dtable] = tf.grads((a: tf.Tensor) => tf.sum(tf.mul(embedding(a, idsTensor), dyTensor)))([shifted]);
    expectClose(await readFloat32(out, true), embeddingReference(table, ids, channels), { atol: 0, rtol: 0, label: 'rows' });
    expectClose(await readFloat32(dtable!, true), embeddingBackwardReference(dy, ids, vocabulary, channels), { atol: 1e-5, rtol: 1e-5, label: 'dtable' });
    tf.dispose([tableTensor, idsTensor, dyTensor, shifted]);
    expect(tf.memory().numTensors).toBe(before);
  };
  it.each(cases)('forward and dtable match the reference for %j', parity);
  itMatchesWithFusedKernelsOff(context, () => parity(cases[2]!));

  it('keeps the ids shape, gives bitwise-repeatable gradients and rejects bad ids', async () => {
    const table = tf.tensor2d(randomArray([6, 4], { seed: 5 }), [6, 4]);
    const ids = tf.tensor2d([5, 0, 5, 5, 1, 0], [2, 3], 'int32');
    expect(embedding(table, ids).shape).toEqual([2, 3, 4]);
    const gradient = tf.grad((a: tf.Tensor) => tf.sum(tf.mul(embedding(a, ids), tf.range(0, 24).reshape([2, 3, 4]).mul(0.37))));
    const first = await readFloat32(gradient(table), true);
    const second = await readFloat32(gradient(table), true);
    expect(Array.from(second)).toEqual(Array.from(first));
    expect(() => embedding(table, tf.tensor1d([6], 'int32'))).toThrow(ShapeError);
    expect(() => embedding(table, tf.tensor1d([-1], 'int32'))).toThrow(/ids\[0\] = -1/);
    expect(() => embedding(table, tf.tensor1d([1], 'float32'))).toThrow(ShapeError);
    tf.dispose([table, ids]);
  });

  itCompiledEveryProgram(context);
});
