import * as tf from '@tensorflow/tfjs';
import { InvalidOptionError, ShapeError } from '@steerlm/core';
import { describe, expect, it } from 'vitest';
import { expectClose, expectNoTensorLeak, forEachBackend, randomArray, readFloat32 } from '../testing';
import { dispatchCounts, dispatchCountsBetween, getWebGPUBackend } from '../runtime';
import { adamwStep, adamwUsesKernel, applyAdamW, createAdamWState } from './adamw.op';
import { adamwReference, clipScale, resolveAdamWConfig, type AdamWConfig } from './adamw.reference';

const SHAPES = [[7, 13], [5], [3, 4, 5], [1], [300]];
const DECAY = [true, false, true, true, false];
const STEPS = 3;

function gradientsAt(step: number): Float32Array[] {
  return SHAPES.map((shape, index) => randomArray(shape, { seed: 1000 * step + index, distribution: 'normal' }));
}

const tolerance = { atol: 2e-6, rtol: 2e-5 };

describe('AdamW reference', () => {
  it('moves each weight by about lr·sign(g) on the first step and decays only where asked', () => {
    const params = [Float32Array.of(1, -2), Float32Array.of(3)];
    const grads = [Float32Array.of(0.5, -4), Float32Array.of(2)];
    const zeros = params.map((p) => new Float32Array(p.length));
    const out = adamwReference(params, grads, zeros, zeros, 1, { learningRate: 0.1, weightDecay: 0.5 }, [true, false]);
    expect(out.params[0]![0]).toBeCloseTo(1 * (1 - 0.05) - 0.1, 5);
    expect(out.params[0]![1]).toBeCloseTo(-2 * (1 - 0.05) + 0.1, 5);
    expect(out.params[1]![0]).toBeCloseTo(3 - 0.1, 5);
    expect(out.gradNorm).toBeCloseTo(Math.sqrt(0.25 + 16 + 4), 6);
    expect(out.m[0]![1]).toBeCloseTo(0.1 * -4, 6);
    expect(out.v[0]![1]).toBeCloseTo(0.001 * 16, 6);
  });

  it('clips by the global norm and validates its options', () => {
    expect(clipScale(10, 1)).toBeCloseTo(0.1, 6);
    expect(clipScale(0.5, 1)).toBe(1);
    expect(clipScale(10, 0)).toBe(1);
    expect(() => resolveAdamWConfig({ learningRate: 0.1, beta2: 1 })).toThrow(InvalidOptionError);
    expect(() => resolveAdamWConfig({ learningRate: -1 })).toThrow(/learningRate/);
  });
});

await forEachBackend(['cpu', 'wasm', 'webgpu'], (context) => {
  it('uses its WGSL kernel only on webgpu', () => {
    expect(adamwUsesKernel()).toBe(context.backend === 'webgpu');
  });

  for (const [label, config] of [
    ['with global-norm clipping', { learningRate: 1e-2, weightDecay: 0.1, maxGradNorm: 1 }],
    ['without clipping', { learningRate: 3e-3, beta1: 0.8, beta2: 0.95, epsilon: 1e-6, weightDecay: 0.01 }],
  ] as Array<[string, AdamWConfig]>) {
    it(`matches the reference over ${STEPS} steps ${label} (params and both moments)`, async () => {
      let expectedParams: Float32Array[] = SHAPES.map((shape, index) => randomArray(shape, { seed: 50 + index }));
      let expectedM: Float32Array[] = SHAPES.map((shape) => new Float32Array(shape.reduce((a, b) => a * b, 1)));
      let expectedV: Float32Array[] = expectedM.map((m) => new Float32Array(m.length));
      await expectNoTensorLeak(async () => {
        let params = expectedParams.map((values, index) => tf.tensor(values, SHAPES[index]));
        let state = createAdamWState(params);
        for (let step = 1; step <= STEPS; step++) {
          const gradValues = gradientsAt(step);
          const grads = gradValues.map((values, index) => tf.tensor(values, SHAPES[index]));
          const result = adamwStep(params, grads, state, config, { decay: DECAY });
          const reference = adamwReference(expectedParams, gradValues, expectedM, expectedV, step, config, DECAY);
          expect(result.state.step).toBe(step);
          expect((await result.gradNorm.data())[0]).toBeCloseTo(reference.gradNorm, 3);
          const statistics = await readFloat32(result.statistics);
          expect(statistics[0]).toBeCloseTo(reference.gradNorm, 3);
          expect(statistics[1]).toBeCloseTo(clipScale(reference.gradNorm, config.maxGradNorm ?? 0), 5);
          expect([statistics[2], statistics[3]]).toEqual([1, 0]);
          for (let index = 0; index < SHAPES.length; index++) {
            const where = `step ${step}, parameter ${index}`;
            expect(result.params[index]!.shape).toEqual(SHAPES[index]);
            expectClose(await readFloat32(result.params[index]!), reference.params[index]!, { ...tolerance, label: `params, ${where}` });
            expectClose(await readFloat32(result.state.firstMoments[index]!), reference.m[index]!, { ...tolerance, label: `m, ${where}` });
            expectClose(await readFloat32(result.state.secondMoments[index]!), reference.v[index]!, { ...tolerance, label: `v, ${where}` });
          }
          tf.dispose([...params, ...grads, ...state.firstMoments, ...state.secondMoments, result.gradNorm, result.statistics]);
          params = result.params;
          state = result.state;
          expectedParams = reference.params;
          expectedM = reference.m;
          expectedV = reference.v;
        }
        tf.dispose([...params, ...state.firstMoments, ...state.secondMoments]);
      });
    });
  }

  it('updates variables in place with applyAdamW without leaking tensors', async () => {
    const initial = randomArray([4, 3], { seed: 7 });
    const variable = tf.variable(tf.tensor(initial, [4, 3]));
    const gradValues = randomArray([4, 3], { seed: 8 });
    await expectNoTensorLeak(async () => {
      let state = createAdamWState([variable]);
      const grad = tf.tensor(gradValues, [4, 3]);
      for (let step = 0; step < 2; step++) {
        const result = applyAdamW([variable], [grad], state, { learningRate: 0.01 });
        tf.dispose([result.gradNorm, result.statistics]);
        state = result.state;
      }
      const zeros = [new Float32Array(12)];
      const first = adamwReference([initial], [gradValues], zeros, zeros, 1, { learningRate: 0.01 });
      const second = adamwReference(first.params, [gradValues], first.m, first.v, 2, { learningRate: 0.01 });
      expectClose(await readFloat32(variable), second.params[0]!, tolerance);
      tf.dispose([grad, ...state.firstMoments, ...state.secondMoments]);
    });
    variable.dispose();
  });

  it('updates more tensors than one dispatch binds (odd shapes), in as few dispatches as the device allows', async () => {
    // 23 parameters: several sum-of-squares groups and several AdamW groups on any device.
    const shapes = Array.from({ length: 23 }, (_, index) => (index % 3 === 0 ? [index + 1] : [(index % 5) + 1, 2 * index + 1]));
    const decay = shapes.map((shape) => shape.length > 1);
    const config: AdamWConfig = { learningRate: 1e-2, weightDecay: 0.1, maxGradNorm: 0.5 };
    const paramValues = shapes.map((shape, index) => randomArray(shape, { seed: 300 + index }));
    const gradValues = shapes.map((shape, index) => randomArray(shape, { seed: 400 + index, distribution: 'normal' }));
    const zeros = paramValues.map((values) => new Float32Array(values.length));
    const reference = adamwReference(paramValues, gradValues, zeros, zeros, 1, config, decay);
    await expectNoTensorLeak(async () => {
      const params = paramValues.map((values, index) => tf.tensor(values, shapes[index]));
      const grads = gradValues.map((values, index) => tf.tensor(values, shapes[index]));
      const state = createAdamWState(params);
      const before = dispatchCounts();
      const result = adamwStep(params, grads, state, config, { decay });
      const counted = dispatchCountsBetween(before, dispatchCounts());
      if (context.backend === 'webgpu') {
        const limit = getWebGPUBackend().device.limits.maxStorageBuffersPerShaderStage;
        const perUpdate = Math.max(1, Math.floor((limit - 1) / 5));
        // Sum-of-squares groups, one reduction, multi-tensor updates: nothing else.
        expect(counted.ours).toBe(Math.ceil(23 / (limit - 1)) + 1 + Math.ceil(23 / perUpdate));
      }
      expect((await readFloat32(result.statistics))[0]).toBeCloseTo(reference.gradNorm, 3);
      for (let index = 0; index < shapes.length; index++) {
        expectClose(await readFloat32(result.params[index]!), reference.params[index]!, { ...tolerance, label: `params ${index}` });
        expectClose(await readFloat32(result.state.secondMoments[index]!), reference.v[index]!, { ...tolerance, label: `v ${index}` });
      }
      tf.dispose([...params, ...grads, ...state.firstMoments, ...state.secondMoments, ...result.params, ...result.state.firstMoments]);
      tf.dispose([...result.state.secondMoments, result.gradNorm, result.statistics]);
    });
  });

  for (const [label, poison] of [
    ['a NaN gradient', 'grad'],
    ['an infinite loss', 'loss'],
  ] as const) {
    it(`leaves parameters and moments unchanged, on the device, after ${label}`, async () => {
      await expectNoTensorLeak(async () => {
        const params = SHAPES.map((shape, index) => tf.tensor(randomArray(shape, { seed: 60 + index }), shape));
        const grads = gradientsAt(1).map((values, index) => {
          const copy = Float32Array.from(values);
          if (poison === 'grad' && index === 2) copy[5] = Number.NaN;
          return tf.tensor(copy, SHAPES[index]);
        });
        const loss = tf.scalar(poison === 'loss' ? Number.POSITIVE_INFINITY : 1.5);
        // Non-zero moments, so "unchanged" is told apart from "reset".
        const state = { step: 3, firstMoments: params.map((p) => tf.mul(p, 0.5)), secondMoments: params.map((p) => tf.square(p)) };
        // Read before the step: on webgpu the moments are updated in place.
        const before = {
          params: await Promise.all(params.map((p) => readFloat32(p))),
          m: await Promise.all(state.firstMoments.map((m) => readFloat32(m))),
          v: await Promise.all(state.secondMoments.map((v) => readFloat32(v))),
        };
        const result = adamwStep(params, grads, state, { learningRate: 0.1, maxGradNorm: 1 }, { loss });
        const statistics = await readFloat32(result.statistics);
        expect([statistics[1], statistics[2]]).toEqual([0, 0]);
        for (let index = 0; index < SHAPES.length; index++) {
          expectClose(await readFloat32(result.params[index]!), before.params[index]!, { atol: 0, rtol: 0, label: `params ${index}` });
          expectClose(await readFloat32(result.state.firstMoments[index]!), before.m[index]!, { atol: 0, rtol: 0, label: `m ${index}` });
          expectClose(await readFloat32(result.state.secondMoments[index]!), before.v[index]!, { atol: 0, rtol: 0, label: `v ${index}` });
        }
        tf.dispose([...params, ...grads, loss, ...state.firstMoments, ...state.secondMoments, ...result.params, ...result.state.firstMoments]);
        tf.dispose([...result.state.secondMoments, result.gradNorm, result.statistics]);
      });
    });
  }

  it('rejects mismatched gradients', () => {
    const p = tf.zeros([2, 3]);
    const state = createAdamWState([p]);
    const g = tf.zeros([3, 2]);
    expect(() => adamwStep([p], [g], state, { learningRate: 1 })).toThrow(ShapeError);
    tf.dispose([p, g, ...state.firstMoments, ...state.secondMoments]);
  });
});
