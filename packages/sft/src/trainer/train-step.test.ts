/**
 * Optimizer.apply on every backend: one read at the end of the step, and a step whose loss is not
 * finite changes nothing (weights, moments, step count) and says so.
 */
import * as tf from '@tensorflow/tfjs';
import { expect, it } from 'vitest';
import { parseModelConfig } from '../io/hf-config';
import { expectClose, forEachBackend, readFloat32 } from '../kernels/testing';
import { DecoderModel } from '../models';
import { Optimizer, trainableSet } from './train-step';

const CONFIG = { architectures: ['GPT2LMHeadModel'], vocab_size: 24, n_embd: 16, n_layer: 1, n_head: 2, n_positions: 8 };

await forEachBackend(['cpu', 'webgpu'], () => {
  it('skips a step with a non-finite loss on the device: weights, moments and step count unchanged', async () => {
    const model = DecoderModel.create(parseModelConfig(CONFIG), { seed: 3 });
    const optimizer = new Optimizer(trainableSet(model));
    const variables = optimizer.trainable.variables;
    const grads = () => variables.map((variable) => tf.onesLike(variable));
    const first = await optimizer.apply({ loss: tf.scalar(2.5), grads: grads() }, { learningRate: 0.01, maxGradNorm: 1 }, 4);
    expect(first).toMatchObject({ skipped: false, trainedTokens: 4 });
    expect(first.loss).toBeCloseTo(2.5, 6);
    expect(first.gradNorm).toBeCloseTo(Math.sqrt(variables.reduce((sum, variable) => sum + variable.size, 0)), 1);
    expect(optimizer.state.step).toBe(1);
    const weights = await Promise.all(variables.map((variable) => readFloat32(variable)));
    const moments = await Promise.all(optimizer.state.secondMoments.map((moment) => readFloat32(moment)));
    const second = await optimizer.apply({ loss: tf.scalar(Number.NaN), grads: grads() }, { learningRate: 0.01, maxGradNorm: 1 }, 4);
    expect(second.skipped).toBe(true);
    expect(Number.isNaN(second.loss)).toBe(true);
    expect(optimizer.state.step).toBe(1);
    for (let index = 0; index < variables.length; index++) {
      expectClose(await readFloat32(variables[index]!), weights[index]!, { atol: 0, rtol: 0, label: `weight ${index}` });
      expectClose(await readFloat32(optimizer.state.secondMoments[index]!), moments[index]!, { atol: 0, rtol: 0, label: `moment ${index}` });
    }
    optimizer.dispose();
    model.dispose();
  });
});
