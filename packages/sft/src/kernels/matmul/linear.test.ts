/**
 * Parity of the fused linear layer (matmul with bias, GELU and residual epilogues; bias gradient from
 * the weight-gradient pass) with the float64 reference on cpu, wasm and webgpu, on odd shapes (rows,
 * features and outputs not multiples of the 64×64 tile, more than one row tile so the column sums
 * come from one row of workgroups only), both weight layouts, each activation, with and without a
 * residual; and its dispatch count on webgpu. Tolerances: atol 1e-4·sqrt(K or N), rtol 1e-4.
 */
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { ShapeError } from '@steerlm/core';
import { checkCompiledPrograms, dispatchCounts, dispatchCountsBetween } from '../runtime';
import { expectClose, expectNoTensorLeak, forEachBackend, randomArray, readFloat32 } from '../testing';
import { linear, linearUsesKernel } from './linear.op';
import { linearBackwardReference, linearReference, type LinearShape } from './linear.reference';

const CASES: LinearShape[] = [
  { N: 37, K: 19, M: 23, transposeWeight: false, activation: 'none', residual: false },
  { N: 130, K: 21, M: 70, transposeWeight: false, activation: 'tanh', residual: false },
  { N: 67, K: 33, M: 9, transposeWeight: false, activation: 'none', residual: true },
  { N: 5, K: 70, M: 66, transposeWeight: true, activation: 'erf', residual: true },
  { N: 1, K: 1, M: 1, transposeWeight: true, activation: 'tanh', residual: false },
];

await forEachBackend(['cpu', 'wasm', 'webgpu'], (context) => {
  it('uses its WGSL kernel only on webgpu', () => {
    expect(linearUsesKernel()).toBe(context.backend === 'webgpu');
  });

  describe.each(CASES)('N=$N K=$K M=$M transposeWeight=$transposeWeight activation=$activation residual=$residual', (shape) => {
    it('matches the reference: y, dx, dW, db, dResidual', async () => {
      const { N, K, M } = shape;
      const x = randomArray([N, K], { seed: N + 1, distribution: 'normal' });
      const weight = randomArray(shape.transposeWeight ? [M, K] : [K, M], { seed: K + 2, distribution: 'normal' });
      const bias = randomArray([M], { seed: M + 3 });
      const residual = shape.residual ? randomArray([N, M], { seed: 4 }) : null;
      const dy = randomArray([N, M], { seed: 5 });
      const expected = linearReference(x, weight, bias, residual, shape);
      const gradients = linearBackwardReference(x, weight, expected.pre, dy, shape);
      await expectNoTensorLeak(async () => {
        const tensors = [
          tf.tensor2d(x, [N, K]),
          tf.tensor2d(weight, shape.transposeWeight ? [M, K] : [K, M]),
          tf.tensor1d(bias),
          ...(residual ? [tf.tensor2d(residual, [N, M])] : []),
        ];
        const weights = tf.tensor2d(dy, [N, M]);
        const run = (...args: tf.Tensor[]) =>
          linear(args[0] as tf.Tensor2D, args[1] as tf.Tensor2D, args[2] as tf.Tensor1D, {
            transposeWeight: shape.transposeWeight,
            activation: shape.activation,
            ...(args[3] ? { residual: args[3] as tf.Tensor2D } : {}),
          });
        const y = run(...tensors);
        if (context.backend === 'webgpu') await checkCompiledPrograms();
        expectClose(await readFloat32(y, true), expected.y, { atol: 1e-4 * Math.sqrt(K), rtol: 1e-4, label: `${context.backend} y` });
        const grads = tf.grads((...args: tf.Tensor[]) => tf.sum(tf.mul(run(...args), weights)))(tensors);
        const tolerance = { atol: 1e-4 * Math.sqrt(Math.max(N, M)), rtol: 1e-4 };
        expectClose(await readFloat32(grads[0]!, true), gradients.dx, { ...tolerance, label: `${context.backend} dx` });
        expectClose(await readFloat32(grads[1]!, true), gradients.dWeight, { ...tolerance, label: `${context.backend} dW` });
        expectClose(await readFloat32(grads[2]!, true), gradients.dBias, { ...tolerance, label: `${context.backend} db` });
        if (residual) expectClose(await readFloat32(grads[3]!, true), gradients.dResidual, { ...tolerance, label: `${context.backend} dResidual` });
        tf.dispose([...tensors, weights]);
      }, `${context.backend} linear`);
    });
  });

  it('runs forward in 1 and backward in 3 dispatches of ours with a GELU (2 without), no stock ones but the loss', async (ctx) => {
    if (context.backend !== 'webgpu') ctx.skip('counts GPU dispatches');
    const x = tf.randomNormal([40, 12], 0, 1, 'float32', 1) as tf.Tensor2D;
    const weight = tf.randomNormal([12, 30], 0, 1, 'float32', 2) as tf.Tensor2D;
    const bias = tf.randomNormal([30], 0, 1, 'float32', 3) as tf.Tensor1D;
    const residual = tf.randomNormal([40, 30], 0, 1, 'float32', 4) as tf.Tensor2D;
    for (const activation of ['tanh', 'none'] as const) {
      const loss = (a: tf.Tensor, w: tf.Tensor, b: tf.Tensor, r: tf.Tensor) =>
        tf.sum(linear(a as tf.Tensor2D, w as tf.Tensor2D, b as tf.Tensor1D, { activation, residual: r as tf.Tensor2D }));
      tf.dispose(tf.grads(loss)([x, weight, bias, residual])); // compile first
      const before = dispatchCounts();
      const grads = tf.grads(loss)([x, weight, bias, residual]);
      const counted = dispatchCountsBetween(before, dispatchCounts());
      expect(counted.ours, activation).toBe(activation === 'none' ? 3 : 4);
      tf.dispose(grads);
    }
    tf.dispose([x, weight, bias, residual]);
  });
});

describe('linear input checks', () => {
  it('throws ShapeError for mismatched weight, bias and residual shapes', () => {
    const x = tf.zeros([4, 3]) as tf.Tensor2D;
    const weight = tf.zeros([3, 5]) as tf.Tensor2D;
    expect(() => linear(x, tf.zeros([4, 5]) as tf.Tensor2D, tf.zeros([5]) as tf.Tensor1D)).toThrow(ShapeError);
    expect(() => linear(x, weight, tf.zeros([4]) as tf.Tensor1D)).toThrow(/bias \[4\] must be \[5\]/);
    expect(() => linear(x, weight, tf.zeros([5]) as tf.Tensor1D, { residual: tf.zeros([4, 4]) as tf.Tensor2D })).toThrow(/residual/);
    tf.dispose([x, weight]);
  });
});
