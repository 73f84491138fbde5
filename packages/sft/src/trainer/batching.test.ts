import { charTokenizer, seededRandom } from '@steerlm/core';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { bucketBatches, packedBatches } from './batching';
import { tokenizeConversation, type TokenizedExample } from './loss-mask';
import { batchTokenLosses } from './train-step';
import { tinyConversations, tinyModel } from './testing/tiny-run';

const tokenizer = charTokenizer();
const examples: TokenizedExample[] = tinyConversations(6).map((conversation) => tokenizeConversation(conversation, tokenizer)!);

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('batching', () => {
  it('buckets keep every example once, with targets shifted and masks aligned', () => {
    const batches = bucketBatches(examples, { batchSize: 4, random: seededRandom(1) });
    expect(batches.flatMap((batch) => batch.examples).sort()).toEqual([0, 1, 2, 3, 4, 5]);
    for (const batch of batches) {
      batch.examples.forEach((index, row) => {
        const example = examples[index]!;
        for (let t = 0; t + 1 < example.ids.length; t++) {
          expect(batch.targets[row * batch.T + t]).toBe(example.ids[t + 1]);
          expect(batch.lossMask[row * batch.T + t]).toBe(example.trained[t + 1] ? 1 : 0);
        }
        for (let t = 0; t < batch.T; t++) expect(batch.keyMask[row * batch.T + t]).toBe(t < example.ids.length ? 1 : 0);
      });
    }
  });

  it('packed records never attend to each other: per-token losses equal the records run alone', async () => {
    const model = tinyModel(4);
    const [packed] = packedBatches(examples.slice(0, 3), { batchSize: 1, sequenceLength: 256, random: seededRandom(2) });
    expect(packed!.B).toBe(1);
    expect(new Set(packed!.segmentIds.filter((id) => id >= 0)).size).toBe(3);
    const packedLosses = await batchTokenLosses(model, packed!, true);
    let offset = 0;
    for (const index of packed!.examples) {
      const [alone] = bucketBatches([examples[index]!], { batchSize: 1, random: seededRandom(3), padTo: 1 });
      const aloneLosses = await batchTokenLosses(model, alone!, false);
      for (let t = 0; t < examples[index]!.ids.length; t++) expect(packedLosses[offset + t]).toBeCloseTo(aloneLosses[t]!, 5);
      offset += examples[index]!.ids.length;
    }
    // The target of a record's last token would be the next record's first: never trained.
    expect(packed!.lossMask[examples[packed!.examples[0]!]!.ids.length - 1]).toBe(0);
    model.dispose();
  });
});
