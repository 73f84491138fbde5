import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { charTokenizer, chatmlTemplate } from '@steerlm/core';
import { trainConditionedSFT } from './train-conditioned-sft';
import { tinyConversations, tinyModel } from './testing/tiny-run';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('trainConditionedSFT with ChatML', () => {
  it('trains each response and its <|im_end|>, and the loss falls', async () => {
    const conversations = tinyConversations(4);
    const { summary } = await trainConditionedSFT({
      model: tinyModel(),
      tokenizer: charTokenizer(),
      template: chatmlTemplate,
      train: conversations,
      batchSize: 4,
      epochs: 40,
      learningRate: 1e-2,
      warmupSteps: 0,
      seed: 3,
    });
    // The char tokenizer spells <|im_end|> as its 10 characters: response characters + 10 per record,
    // trained once per step (one batch of all 4 records, 40 steps).
    const perStep = conversations.reduce((sum, conversation) => sum + conversation.turns[1]!.text.length + '<|im_end|>'.length, 0);
    expect(summary.steps).toBe(40);
    expect(summary.trainedTokens).toBe(40 * perStep);
    expect(summary.lossCurve[0]!.loss).toBeGreaterThan(4);
    expect(summary.finalLoss).toBeLessThan(summary.lossCurve[0]!.loss / 4);
  }, 60_000);
});
