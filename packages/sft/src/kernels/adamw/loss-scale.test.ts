/**
 * Dynamic loss scaling and f16 working copies in the AdamW step: gradients scaled by the loss scale
 * give the update of the unscaled ones; an overflow skips the step (weights and moments unchanged)
 * and halves the scale; the scale grows after `growthInterval` good steps; the cross-entropy
 * backward multiplies by the scale on the GPU; AdamW writes each flagged parameter in f16 too.
 */
import * as tf from '@tensorflow/tfjs';
import { InvalidOptionError } from '@steerlm/core';
import { describe, expect, it } from 'vitest';
import { crossEntropy } from '../cross-entropy';
import { crossEntropyBackwardReference } from '../cross-entropy/cross-entropy.reference';
import { checkCompiledPrograms, dispatchCounts, dispatchCountsBetween, withMixedPrecision } from '../runtime';
import { expectClose, expectNoTensorLeak, forEachBackend, randomArray, randomIntegers, readFloat32, roundArrayToFloat16, unpackHalves } from '../testing';
import { adamwStep, createAdamWState, type AdamWStepResult } from './adamw.op';
import { adamwReference, type AdamWConfig } from './adamw.reference';
import { LossScaler, lossScaleReport, resolveLossScaleOptions } from './loss-scale';

const SHAPES = [[7, 13], [5], [3, 1, 5]];
const CONFIG: AdamWConfig = { learningRate: 1e-2, weightDecay: 0.1, maxGradNorm: 1 };
const tolerance = { atol: 2e-6, rtol: 2e-5 };

function disposeResult(result: AdamWStepResult): void {
  tf.dispose([...result.params, ...result.state.firstMoments, ...result.state.secondMoments, result.gradNorm, result.statistics]);
  tf.dispose(result.halfCopies.filter((copy): copy is tf.Tensor => copy !== undefined));
}

describe('loss-scale options', () => {
  it("takes GradScaler's defaults and refuses bad values, naming them", () => {
    expect(resolveLossScaleOptions()).toEqual({ initScale: 65536, growthFactor: 2, backoffFactor: 0.5, growthInterval: 2000 });
    expect(() => resolveLossScaleOptions({ backoffFactor: 1 })).toThrow(InvalidOptionError);
    expect(() => resolveLossScaleOptions({ growthInterval: 0.5 })).toThrow(/growthInterval/);
    expect(() => resolveLossScaleOptions({ initScale: Infinity })).toThrow(/initScale/);
  });
});

await forEachBackend(['cpu', 'webgpu'], (context) => {
  it('unscales: gradients × 1024 with the scaler give the reference update of the unscaled gradients', async () => {
    const params = SHAPES.map((shape, index) => randomArray(shape, { seed: 10 + index }));
    const grads = SHAPES.map((shape, index) => randomArray(shape, { seed: 20 + index, distribution: 'normal' }));
    const zeros = params.map((values) => new Float32Array(values.length));
    const reference = adamwReference(params, grads, zeros, zeros, 1, CONFIG);
    await expectNoTensorLeak(async () => {
      const scaler = new LossScaler({ initScale: 1024 });
      const p = params.map((values, index) => tf.tensor(values, SHAPES[index]));
      const g = grads.map((values, index) =>
        tf.tensor(
          values.map((value) => value * 1024),
          SHAPES[index],
        ),
      );
      const state = createAdamWState(p);
      const before = dispatchCounts();
      const result = adamwStep(p, g, state, CONFIG, { lossScaler: scaler });
      if (context.backend === 'webgpu') {
        // The unscale and the scale update add no dispatch: sum of squares, statistics, one update.
        expect(dispatchCountsBetween(before, dispatchCounts()).ours).toBe(3);
      }
      const statistics = await readFloat32(result.statistics);
      expect(statistics[0]).toBeCloseTo(reference.gradNorm, 3);
      expect(statistics[2]).toBe(1);
      expect(lossScaleReport(statistics)).toEqual({ scale: 1024, nextScale: 1024, goodSteps: 1 });
      expect(Array.from(await readFloat32(scaler.state))).toEqual([1024, 1]);
      for (let index = 0; index < SHAPES.length; index++) {
        expectClose(await readFloat32(result.params[index]!), reference.params[index]!, { ...tolerance, label: `params ${index}` });
        expectClose(await readFloat32(result.state.secondMoments[index]!), reference.v[index]!, { ...tolerance, label: `v ${index}` });
      }
      tf.dispose([...p, ...g, ...state.firstMoments, ...state.secondMoments]);
      disposeResult(result);
      scaler.dispose();
    });
  });

  it('on overflow skips the step (parameters and moments unchanged), halves the scale; grows it after growthInterval good steps', async () => {
    await expectNoTensorLeak(async () => {
      const scaler = new LossScaler({ initScale: 2 ** 20, growthInterval: 2 });
      const values = randomArray([9, 5], { seed: 3 });
      let params = [tf.tensor(values, [9, 5])];
      let state = createAdamWState(params);
      const finite = tf.tensor(randomArray([9, 5], { seed: 4, distribution: 'normal' }), [9, 5]);
      const overflowed = tf.tensor(
        randomArray([9, 5], { seed: 4 }).map((value, index) => (index === 7 ? Infinity : value)),
        [9, 5],
      );
      const expected = [
        // [grads, updated, scale used, next scale, good steps]
        [overflowed, 0, 2 ** 20, 2 ** 19, 0],
        [finite, 1, 2 ** 19, 2 ** 19, 1],
        [finite, 1, 2 ** 19, 2 ** 20, 0],
        [overflowed, 0, 2 ** 20, 2 ** 19, 0],
      ] as const;
      for (const [step, [grad, updated, scale, nextScale, goodSteps]] of expected.entries()) {
        const before = await readFloat32(params[0]!);
        const result = adamwStep(params, [grad], state, CONFIG, { lossScaler: scaler });
        const statistics = await readFloat32(result.statistics);
        expect([statistics[2], ...Object.values(lossScaleReport(statistics)!)], `step ${step}`).toEqual([updated, scale, nextScale, goodSteps]);
        const after = await readFloat32(result.params[0]!);
        if (updated === 0) {
          expect(Array.from(after), `step ${step}`).toEqual(Array.from(before));
          expect(Array.from(await readFloat32(result.state.firstMoments[0]!))).toEqual(Array.from(await readFloat32(state.firstMoments[0]!)));
        } else {
          expect(after.some((value, index) => value !== before[index])).toBe(true);
        }
        tf.dispose([...params, ...state.firstMoments, ...state.secondMoments, result.gradNorm, result.statistics]);
        params = result.params;
        state = result.state;
      }
      expect(Array.from(await readFloat32(scaler.state))).toEqual([2 ** 19, 0]);
      tf.dispose([...params, ...state.firstMoments, ...state.secondMoments, finite, overflowed]);
      scaler.dispose();
    });
  });

  it('the cross-entropy backward multiplies its gradient by the loss scale in the mixed-precision scope', async () => {
    const [rows, vocabulary] = [5, 11];
    const logits = randomArray([rows, vocabulary], { seed: 1, min: -3, max: 3 });
    const targets = randomIntegers(rows, vocabulary, 2);
    const lossMask = Float32Array.from([1, 0, 1, 0.5, 1]);
    const expected = crossEntropyBackwardReference({ logits, targets, lossMask, rows, vocabulary }, new Float32Array(rows).fill(1));
    const scale = tf.tensor1d([512, 0]);
    const inputs = [tf.tensor2d(logits, [rows, vocabulary]), tf.tensor1d(targets, 'int32'), tf.tensor1d(lossMask)] as const;
    const gradient = withMixedPrecision({ halfCopyOf: () => undefined, lossScale: scale }, () =>
      tf.grad((x: tf.Tensor) => tf.sum(crossEntropy(x, inputs[1], inputs[2])))(inputs[0]),
    );
    const scaled = expected.map((value) => value * (context.backend === 'webgpu' ? 512 : 1));
    // Loss scaling is part of the webgpu kernels; the other backends train in f32 and ignore the scope.
    expectClose(await readFloat32(gradient, true), scaled, { atol: 1e-4, rtol: 1e-5 });
    tf.dispose([scale, ...inputs]);
  });

  it('writes f16 working copies of the flagged parameters in the same dispatch, also when the step is skipped', async (ctx) => {
    if (context.backend !== 'webgpu' || !context.features!.hasF16) ctx.skip('f16 working copies need webgpu with shader-f16');
    const params = SHAPES.map((shape, index) => randomArray(shape, { seed: 30 + index }));
    const grads = SHAPES.map((shape, index) => randomArray(shape, { seed: 40 + index, distribution: 'normal' }));
    const zeros = params.map((values) => new Float32Array(values.length));
    const reference = adamwReference(params, grads, zeros, zeros, 1, CONFIG);
    const flags = [true, false, true];
    await expectNoTensorLeak(async () => {
      const p = params.map((values, index) => tf.tensor(values, SHAPES[index]));
      for (const skipped of [false, true]) {
        const g = grads.map((values, index) => tf.tensor(values, SHAPES[index]));
        const loss = tf.scalar(skipped ? Number.NaN : 1);
        const state = createAdamWState(p);
        const before = dispatchCounts();
        const result = adamwStep(p, g, state, CONFIG, { halfCopies: flags, loss });
        expect(dispatchCountsBetween(before, dispatchCounts()).ours).toBeLessThanOrEqual(3 + (context.features!.hasF16 ? 1 : 0));
        expect(result.halfCopies.map((copy) => copy !== undefined)).toEqual(flags);
        for (const index of [0, 2]) {
          const expected = skipped ? params[index]! : reference.params[index]!;
          const stored = unpackHalves(await readFloat32(result.halfCopies[index]!), expected.length);
          expect(Array.from(stored), `parameter ${index}, skipped ${skipped}`).toEqual(
            Array.from(roundArrayToFloat16(await readFloat32(result.params[index]!))),
          );
          expectClose(stored, expected, { atol: 1e-3, rtol: 1e-3, label: `parameter ${index}` });
        }
        tf.dispose([...g, loss, ...state.firstMoments, ...state.secondMoments]);
        disposeResult(result);
      }
      tf.dispose(p);
    });
    await expect(checkCompiledPrograms()).resolves.toBeUndefined();
  });
});
