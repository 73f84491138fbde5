import { charTokenizer, TrainingError, type Conversation } from '@steerlm/core';
import { describe, expect, it } from 'vitest';
import { SftExamples, tokenizeConversations } from './sft-examples';
import { tinyConversations } from './testing/tiny-run';

const tokenizing = { tokenizer: charTokenizer(), maxSequenceLength: 64, attributeDropout: 0 };

describe('SftExamples', () => {
  it('tokenizes every conversation and counts the ones left without a trained token', () => {
    const userOnly: Conversation = { system: 'S', turns: [{ role: 'user', text: 'Hi?' }] };
    const { examples, dropped } = tokenizeConversations([...tinyConversations(3), userOnly], tokenizing);
    expect(examples).toHaveLength(3);
    expect(dropped).toBe(1);
    expect(() => new SftExamples([userOnly], tokenizing, { batchSize: 2, packed: false, seed: 0 })).toThrow(TrainingError);
  });

  it('gives the same batches for the same seed and epoch, and another order for another epoch', () => {
    const data = new SftExamples(tinyConversations(8), tokenizing, { batchSize: 2, packed: false, seed: 4 });
    const order = (epoch: number) => data.epochBatches(epoch).flatMap((batch) => batch.examples);
    expect(order(0)).toEqual(order(0));
    expect([...order(0)].sort()).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    expect(order(1)).not.toEqual(order(0));
    expect(data.trainedTokens()).toBe(data.firstPass.examples.reduce((sum, example) => sum + example.trained.filter(Boolean).length, 0));
  });

  it('draws attribute dropout again for each epoch (the label line changes, the responses do not)', () => {
    const data = new SftExamples(tinyConversations(8), { ...tokenizing, attributeDropout: 0.5 }, { batchSize: 8, packed: false, seed: 1 });
    const trained = (epoch: number) => data.epochBatches(epoch)[0]!.lossMask.reduce((sum, value) => sum + value, 0);
    const ids = (epoch: number) => Array.from(data.epochBatches(epoch)[0]!.ids).join();
    expect(trained(0)).toBe(trained(1));
    expect(ids(0)).not.toBe(ids(1));
  });
});
