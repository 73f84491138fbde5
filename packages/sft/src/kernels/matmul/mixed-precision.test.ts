/**
 * The matmul and fused linear kernels in mixed precision (inside a MixedPrecisionScope), on webgpu
 * with shader-f16: a weight with an f16 working copy is read from that copy (the test gives a copy
 * that differs from the f32 master, so reading the master would fail), every operand is staged in
 * f16 with f32 accumulation, the GELU pre-activation is saved in f16, and the gradients flow to the
 * f32 master. Odd shapes (not multiples of the 64×64 tile). References are on f16-rounded operands.
 */
import * as tf from '@tensorflow/tfjs';
import { expect, it } from 'vitest';
import { geluBackwardReference } from '../activations/activations.reference';
import { castToHalf, checkCompiledPrograms, withMixedPrecision, type MixedPrecisionScope } from '../runtime';
import { expectClose, expectNoTensorLeak, forEachBackend, randomArray, readFloat32, roundArrayToFloat16, toleranceFor } from '../testing';
import { linear } from './linear.op';
import { matmul } from './matmul.op';
import { matmulBackwardReference, matmulDims, matmulReference } from './matmul.reference';
import { linearBackwardReference, linearReference, type LinearShape } from './linear.reference';

/** A scope in which `master` has the working copy `half` (packed f16). */
function scopeWith(master: tf.Tensor, half: tf.Tensor): MixedPrecisionScope {
  return { halfCopyOf: (dataId) => (dataId === master.dataId ? half : undefined), lossScale: null };
}

const LINEAR_CASES: LinearShape[] = [
  { N: 37, K: 19, M: 23, transposeWeight: false, activation: 'tanh', residual: true },
  { N: 70, K: 33, M: 9, transposeWeight: false, activation: 'none', residual: false },
  { N: 5, K: 67, M: 66, transposeWeight: true, activation: 'erf', residual: false },
];

await forEachBackend(['webgpu'], (context) => {
  it.each(LINEAR_CASES)(
    'linear N=$N K=$K M=$M transposeWeight=$transposeWeight activation=$activation reads the f16 weight copy: y, dx, dW, db',
    async (shape) => {
      if (!context.features!.hasF16) return;
      const { N, K, M } = shape;
      const weightShape = shape.transposeWeight ? [M, K] : [K, M];
      const x = randomArray([N, K], { seed: N, distribution: 'normal' });
      const master = randomArray(weightShape, { seed: K, distribution: 'normal' });
      // The working copy the kernels must use (not the master's values).
      const copy = randomArray(weightShape, { seed: K + 100, distribution: 'normal' });
      const bias = randomArray([M], { seed: M });
      const residual = shape.residual ? randomArray([N, M], { seed: 4 }) : null;
      const dy = randomArray([N, M], { seed: 5 });
      const [x16, w16] = [roundArrayToFloat16(x), roundArrayToFloat16(copy)];
      const expected = linearReference(x16, w16, bias, residual, shape);
      const pre16 = roundArrayToFloat16(expected.pre);
      const dz16 = roundArrayToFloat16(shape.activation === 'none' ? dy : geluBackwardReference(pre16, dy, shape.activation));
      const gradients = linearBackwardReference(x16, w16, pre16, dz16, { ...shape, activation: 'none' });
      await expectNoTensorLeak(async () => {
        const tensors = [tf.tensor2d(x, [N, K]), tf.tensor(master, weightShape), tf.tensor1d(bias), ...(residual ? [tf.tensor2d(residual, [N, M])] : [])];
        const copyF32 = tf.tensor(copy, weightShape);
        const half = castToHalf(copyF32);
        const weights = tf.tensor2d(dy, [N, M]);
        const run = (...args: tf.Tensor[]) =>
          linear(args[0] as tf.Tensor2D, args[1] as tf.Tensor2D, args[2] as tf.Tensor1D, {
            transposeWeight: shape.transposeWeight,
            activation: shape.activation,
            ...(args[3] ? { residual: args[3] as tf.Tensor2D } : {}),
          });
        const [y, grads] = withMixedPrecision(scopeWith(tensors[1]!, half), () => [
          run(...tensors),
          tf.grads((...args: tf.Tensor[]) => tf.sum(tf.mul(run(...args), weights)))(tensors),
        ]) as [tf.Tensor, tf.Tensor[]];
        await checkCompiledPrograms();
        expectClose(await readFloat32(y, true), expected.y, { ...toleranceFor('f32', Math.sqrt(K)), label: 'y' });
        // f16 rounding of pre and dz in the kernel may land one f16 step from the reference's: f16 tolerances.
        const tolerance = toleranceFor('f16', Math.sqrt(Math.max(N, M)));
        expectClose(await readFloat32(grads[0]!, true), gradients.dx, { ...tolerance, label: 'dx' });
        expectClose(await readFloat32(grads[1]!, true), gradients.dWeight, { ...tolerance, label: 'dW' });
        expectClose(await readFloat32(grads[2]!, true), gradients.dBias, { ...tolerance, label: 'db' });
        tf.dispose([...tensors, copyF32, half, weights, ...grads.slice(3)]);
      });
    },
  );

  it('matmul reads an f16 working copy of either operand (odd shapes, transposes, batched A): C, dA, dB', async () => {
    if (!context.features!.hasF16) return;
    for (const [aShape, bShape, transposeA, transposeB, copyOf] of [
      [[2, 37, 19], [23, 19], false, true, 'b'],
      [[19, 37], [19, 70], true, false, 'a'],
    ] as const) {
      const dims = matmulDims(aShape, bShape, transposeA, transposeB);
      const a = randomArray(aShape, { seed: 1, distribution: 'normal' });
      const b = randomArray(bShape, { seed: 2, distribution: 'normal' });
      const copyShape = copyOf === 'a' ? aShape : bShape;
      const copy = randomArray(copyShape, { seed: 3, distribution: 'normal' });
      const [a16, b16] = copyOf === 'a' ? [roundArrayToFloat16(copy), roundArrayToFloat16(b)] : [roundArrayToFloat16(a), roundArrayToFloat16(copy)];
      const dC = randomArray(
        [dims.batch > 1 ? dims.batch : 1, dims.M, dims.N].filter((_, i) => i > 0 || dims.batch > 1),
        { seed: 4 },
      );
      const expectedC = matmulReference(a16, b16, dims);
      const expected = matmulBackwardReference(a16, b16, roundArrayToFloat16(dC), dims);
      await expectNoTensorLeak(async () => {
        const [ta, tb] = [tf.tensor(a, [...aShape]), tf.tensor(b, [...bShape])];
        const copyF32 = tf.tensor(copy, [...copyShape]);
        const half = castToHalf(copyF32);
        const weights = tf.tensor(dC, expectedC.length === dims.M * dims.N ? [dims.M, dims.N] : [dims.batch, dims.M, dims.N]);
        const run = (x: tf.Tensor, y: tf.Tensor) => matmul(x, y, { transposeA, transposeB });
        const [c, grads] = withMixedPrecision(scopeWith(copyOf === 'a' ? ta : tb, half), () => [
          run(ta, tb),
          tf.grads((x: tf.Tensor, y: tf.Tensor) => tf.sum(tf.mul(run(x, y), weights)))([ta, tb]),
        ]) as [tf.Tensor, tf.Tensor[]];
        const label = `${copyOf} copy, A [${aShape.join(', ')}]`;
        expectClose(await readFloat32(c, true), expectedC, { ...toleranceFor('f32', Math.sqrt(dims.K)), label: `C, ${label}` });
        expectClose(await readFloat32(grads[0]!, true), expected.dA, { ...toleranceFor('f32', Math.sqrt(dims.N)), label: `dA, ${label}` });
        expectClose(await readFloat32(grads[1]!, true), expected.dB, { ...toleranceFor('f32', Math.sqrt(dims.M * dims.batch)), label: `dB, ${label}` });
        tf.dispose([ta, tb, copyF32, half, weights]);
      });
    }
    await expect(checkCompiledPrograms()).resolves.toBeUndefined();
  });
});
