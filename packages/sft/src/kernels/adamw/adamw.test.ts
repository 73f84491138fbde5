import * as tf from '@tensorflow/tfjs';
import { InvalidOptionError, ShapeError } from '@steerlm/core';
import { describe, expect, it } from 'vitest';
import { expectClose, expectNoTensorLeak, forEachBackend, randomArray, readFloat32 } from '../testing';
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
          for (let index = 0; index < SHAPES.length; index++) {
            const where = `step ${step}, parameter ${index}`;
            expect(result.params[index]!.shape).toEqual(SHAPES[index]);
            expectClose(await readFloat32(result.params[index]!), reference.params[index]!, { ...tolerance, label: `params, ${where}` });
            expectClose(await readFloat32(result.state.firstMoments[index]!), reference.m[index]!, { ...tolerance, label: `m, ${where}` });
            expectClose(await readFloat32(result.state.secondMoments[index]!), reference.v[index]!, { ...tolerance, label: `v, ${where}` });
          }
          tf.dispose([...params, ...grads, ...state.firstMoments, ...state.secondMoments, result.gradNorm]);
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
        result.gradNorm.dispose();
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

  it('rejects mismatched gradients', () => {
    const p = tf.zeros([2, 3]);
    const state = createAdamWState([p]);
    const g = tf.zeros([3, 2]);
    expect(() => adamwStep([p], [g], state, { learningRate: 1 })).toThrow(ShapeError);
    tf.dispose([p, g, ...state.firstMoments, ...state.secondMoments]);
  });
});
