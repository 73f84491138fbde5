/**
 * The differentiable MLAS products of the host backends against the float64-summed references, on
 * cpu and wasm, odd shapes: the 2-D product (every transpose combination: value, dA, dB), the
 * Conv1D affine map (y, dx, dW, db), the matmul op and conv1d routing to them, and the engine switch.
 */
import * as tf from '@tensorflow/tfjs';
import { InvalidOptionError } from '@steerlm/core';
import { afterEach, expect, it } from 'vitest';
import { conv1d } from '../../models/model-ops';
import { linearBackwardReference, linearReference } from '../matmul/linear.reference';
import { matmul } from '../matmul/matmul.op';
import { matmulBackwardReference, matmulDims, matmulReference } from '../matmul/matmul.reference';
import { expectClose, expectNoTensorLeak, forEachBackend, randomArray, readFloat32 } from '../testing';
import { mlasCallCount } from './mlas-gemm';
import { hostMatmulEngine, mlasAffine, mlasMatmul, setHostMatmulEngine, usesMlas } from './mlas-ops';

const [M, K, N] = [37, 19, 23];
const TRANSPOSES: Array<[boolean, boolean]> = [
  [false, false],
  [true, false],
  [false, true],
  [true, true],
];

afterEach(() => {
  setHostMatmulEngine('mlas');
});

await forEachBackend(['cpu', 'wasm'], (context) => {
  it('runs on MLAS by default, on the backend when asked', () => {
    expect(hostMatmulEngine()).toBe('mlas');
    expect(usesMlas()).toBe(true);
    expect(setHostMatmulEngine('backend')).toBe('mlas');
    expect(usesMlas()).toBe(false);
  });

  it.each(TRANSPOSES)('mlasMatmul transposeA=%s transposeB=%s: C, dA and dB match the reference', async (transposeA, transposeB) => {
    const shapeA = transposeA ? [K, M] : [M, K];
    const shapeB = transposeB ? [N, K] : [K, N];
    const a = randomArray(shapeA, { seed: 1, distribution: 'normal' });
    const b = randomArray(shapeB, { seed: 2, distribution: 'normal' });
    const dC = randomArray([M, N], { seed: 3 });
    const dims = matmulDims(shapeA, shapeB, transposeA, transposeB);
    const expected = matmulBackwardReference(a, b, dC, dims);
    await expectNoTensorLeak(async () => {
      const tensors = [tf.tensor2d(a, shapeA as [number, number]), tf.tensor2d(b, shapeB as [number, number])];
      const weights = tf.tensor2d(dC, [M, N]);
      const c = mlasMatmul(tensors[0]!, tensors[1]!, transposeA, transposeB);
      expectClose(await readFloat32(c, true), matmulReference(a, b, dims), { atol: 1e-5 * Math.sqrt(K), rtol: 1e-5, label: `${context.backend} C` });
      const [dA, dB] = tf.grads((x: tf.Tensor, y: tf.Tensor) =>
        tf.sum(tf.mul(mlasMatmul(x as tf.Tensor2D, y as tf.Tensor2D, transposeA, transposeB), weights)),
      )(tensors);
      const tolerance = { atol: 1e-5 * Math.sqrt(Math.max(M, N)), rtol: 1e-5 };
      expectClose(await readFloat32(dA!, true), expected.dA, { ...tolerance, label: `${context.backend} dA` });
      expectClose(await readFloat32(dB!, true), expected.dB, { ...tolerance, label: `${context.backend} dB` });
      tf.dispose([...tensors, weights]);
    });
  });

  it('mlasAffine (x·W + b, Conv1D layout): y, dx, dW and db match the reference', async () => {
    const shape = { N: 67, K: 33, M: 9, transposeWeight: false, activation: 'none' as const, residual: false };
    const x = randomArray([shape.N, shape.K], { seed: 4, distribution: 'normal' });
    const weight = randomArray([shape.K, shape.M], { seed: 5, distribution: 'normal' });
    const bias = randomArray([shape.M], { seed: 6 });
    const dy = randomArray([shape.N, shape.M], { seed: 7 });
    const expected = linearReference(x, weight, bias, null, shape);
    const gradients = linearBackwardReference(x, weight, expected.pre, dy, shape);
    await expectNoTensorLeak(async () => {
      const tensors = [tf.tensor2d(x, [shape.N, shape.K]), tf.tensor2d(weight, [shape.K, shape.M]), tf.tensor1d(bias)];
      const weights = tf.tensor2d(dy, [shape.N, shape.M]);
      const run = (...args: tf.Tensor[]) => mlasAffine(args[0] as tf.Tensor2D, args[1] as tf.Tensor2D, args[2] as tf.Tensor1D);
      expectClose(await readFloat32(run(...tensors), true), expected.y, { atol: 1e-5 * Math.sqrt(shape.K), rtol: 1e-5, label: 'y' });
      const grads = tf.grads((...args: tf.Tensor[]) => tf.sum(tf.mul(run(...args), weights)))(tensors);
      const tolerance = { atol: 1e-5 * Math.sqrt(shape.N), rtol: 1e-5 };
      expectClose(await readFloat32(grads[0]!, true), gradients.dx, { ...tolerance, label: 'dx' });
      expectClose(await readFloat32(grads[1]!, true), gradients.dWeight, { ...tolerance, label: 'dW' });
      expectClose(await readFloat32(grads[2]!, true), gradients.dBias, { ...tolerance, label: 'db' });
      tf.dispose([...tensors, weights]);
    });
  });

  it('routes the matmul op and conv1d through MLAS, and gives the same values on the backend engine', async () => {
    const x = tf.tensor2d(randomArray([M, K], { seed: 8 }), [M, K]);
    const w = tf.tensor2d(randomArray([N, K], { seed: 9 }), [N, K]);
    const wConv = tf.tensor2d(randomArray([K, N], { seed: 10 }), [K, N]);
    const b = tf.tensor1d(randomArray([N], { seed: 11 }));
    const run = () => [matmul(x, w, { transposeB: true }), conv1d(x, wConv, b)];
    const before = mlasCallCount();
    const viaMlas = await Promise.all(run().map((tensor) => readFloat32(tensor, true)));
    expect(mlasCallCount() - before).toBe(2);
    setHostMatmulEngine('backend');
    const viaBackend = await Promise.all(run().map((tensor) => readFloat32(tensor, true)));
    expect(mlasCallCount() - before).toBe(2);
    expectClose(viaMlas[0]!, viaBackend[0]!, { atol: 1e-5, rtol: 1e-5, label: 'matmul' });
    expectClose(viaMlas[1]!, viaBackend[1]!, { atol: 1e-5, rtol: 1e-5, label: 'conv1d' });
    tf.dispose([x, w, wConv, b]);
  });
});

it('rejects an unknown engine with an InvalidOptionError', () => {
  expect(() => setHostMatmulEngine('blas' as never)).toThrow(InvalidOptionError);
});
