import * as tf from '@tensorflow/tfjs';
import { charTokenizer } from '@steerlm/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { tokenizeConversations } from './sft-examples';
import { tinyConversations, tinyModel } from './testing/tiny-run';
import { batchTokenLosses } from './train-step';
import { bucketBatches } from './batching';
import { validationLoss } from './validation-loss';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('validationLoss', () => {
  it('is the mean loss over trained tokens, overall and per attribute value, and leaves the model in training mode', async () => {
    const model = tinyModel(2);
    const { examples } = tokenizeConversations(tinyConversations(6), { tokenizer: charTokenizer(), maxSequenceLength: 64, attributeDropout: 0 });
    try {
      model.training = true;
      const result = await validationLoss(model, examples, { batchSize: 6, seed: 0, perAttribute: true });
      expect(model.training).toBe(true);
      // The same mean computed from the per-token losses of one batch of all six examples.
      model.training = false;
      const [batch] = bucketBatches(examples, { batchSize: 6, random: () => 0.5 });
      const losses = await batchTokenLosses(model, batch!, false);
      let sum = 0;
      let count = 0;
      batch!.lossMask.forEach((mask, index) => {
        if (mask) {
          sum += losses[index]!;
          count++;
        }
      });
      expect(result.loss).toBeCloseTo(sum / count, 5);
      // tinyConversations label quality index % 5: values 0..4 with 0 twice.
      expect(
        Object.keys(result.perAttribute)
          .filter((key) => key.startsWith('quality='))
          .sort(),
      ).toEqual(['quality=0', 'quality=1', 'quality=2', 'quality=3', 'quality=4']);
      for (const value of Object.values(result.perAttribute)) expect(value).toBeGreaterThan(4);
    } finally {
      model.dispose();
    }
  });
});
