import * as tf from '@tensorflow/tfjs';
import { InvalidOptionError } from '@steerlm/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { collectAll, positiveOption, trainingSchedule, trainingSequenceLength } from './training-plan';
import { tinyModel } from './testing/tiny-run';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('training plan', () => {
  it('applies defaults and refuses non-positive or fractional counts, naming the option', () => {
    expect(positiveOption(undefined, 8, 'batchSize')).toBe(8);
    expect(positiveOption(2.5e-4, 1, 'learningRate', false)).toBe(2.5e-4);
    expect(() => positiveOption(0, 8, 'batchSize')).toThrow(InvalidOptionError);
    expect(() => positiveOption(1.5, 8, 'epochs')).toThrow(/epochs must be a positive integer, got 1.5/);
  });

  it('trains at min(512, positions) by default and refuses more than the model has', () => {
    const model = tinyModel();
    try {
      expect(trainingSequenceLength(model, undefined)).toBe(256);
      expect(trainingSequenceLength(model, 100)).toBe(100);
      expect(() => trainingSequenceLength(model, 300)).toThrow(/maxSequenceLength 300 exceeds the model's 256 positions/);
    } finally {
      model.dispose();
    }
  });

  it('warms up over min(100, 10 %) of the steps and decays to lr/10 by default', () => {
    expect(trainingSchedule(50, 1e-3, {})).toEqual({ learningRate: 1e-3, warmupSteps: 5, totalSteps: 50, minLearningRate: 1e-4 });
    expect(trainingSchedule(5000, 1e-3, { warmupSteps: 0, minLearningRate: 0 })).toEqual({
      learningRate: 1e-3,
      warmupSteps: 0,
      totalSteps: 5000,
      minLearningRate: 0,
    });
    expect(trainingSchedule(5000, 1e-3, {}).warmupSteps).toBe(100);
  });

  it('collects sync and async sources in order', async () => {
    async function* numbers() {
      yield 1;
      yield 2;
    }
    expect(await collectAll([3, 4])).toEqual([3, 4]);
    expect(await collectAll(numbers())).toEqual([1, 2]);
  });
});
