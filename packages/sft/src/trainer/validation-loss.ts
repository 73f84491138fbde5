/** The validation step of conditioned SFT: the mean trained-token loss, overall and per attribute value. */
import { seededRandom } from '@steerlm/core';
import type { DecoderModel } from '../models';
import { bucketBatches } from './batching';
import type { TokenizedExample } from './loss-mask';
import { batchTokenLosses } from './train-step';

/** The validation loss, and per attribute value (`quality=4`) when asked for. */
export interface ValidationLoss {
  loss: number;
  perAttribute: Record<string, number>;
}

/**
 * Resolves to the mean loss over the trained tokens of `examples` (batched in a seeded order, the
 * model in eval mode meanwhile), and the mean per attribute value of their labels when `perAttribute`.
 */
export async function validationLoss(
  model: DecoderModel,
  examples: readonly TokenizedExample[],
  options: { batchSize: number; seed: number; perAttribute?: boolean | undefined },
): Promise<ValidationLoss> {
  let sum = 0;
  let count = 0;
  const byValue = new Map<string, { sum: number; count: number }>();
  const wasTraining = model.training;
  model.training = false;
  try {
    for (const batch of bucketBatches(examples, { batchSize: options.batchSize, random: seededRandom(options.seed) })) {
      const losses = await batchTokenLosses(model, batch, false);
      batch.examples.forEach((exampleIndex, row) => {
        let rowSum = 0;
        let rowCount = 0;
        for (let t = 0; t < batch.T; t++) {
          if (batch.lossMask[row * batch.T + t]) {
            rowSum += losses[row * batch.T + t]!;
            rowCount++;
          }
        }
        sum += rowSum;
        count += rowCount;
        if (!options.perAttribute) return;
        for (const label of examples[exampleIndex]!.labels) {
          for (const [name, value] of Object.entries(label)) {
            const key = `${name}=${value}`;
            const entry = byValue.get(key) ?? { sum: 0, count: 0 };
            entry.sum += rowSum;
            entry.count += rowCount;
            byValue.set(key, entry);
          }
        }
      });
    }
  } finally {
    model.training = wasTraining;
  }
  return { loss: sum / Math.max(1, count), perAttribute: Object.fromEntries([...byValue].map(([key, entry]) => [key, entry.sum / Math.max(1, entry.count)])) };
}
