import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseModelConfig } from '../io/hf-config';
import { DecoderModel } from '../models';
import { emptyBatch, type TrainingBatch } from '../trainer/batching';
import { Optimizer, trainableSet } from '../trainer/train-step';
import { DataParallelTrainer } from './data-parallel-trainer';
import { shardBatch } from './shard-batch';

const config = parseModelConfig({ architectures: ['GPT2LMHeadModel'], vocab_size: 40, n_embd: 16, n_layer: 1, n_head: 2, n_positions: 16 });
const ADAMW = { learningRate: 1e-2, weightDecay: 0.01, maxGradNorm: 1 };

/** A 4-row batch with a padded last row. */
function batch(): TrainingBatch {
  const B = 4;
  const T = 8;
  const result = emptyBatch(B, T, [0, 1, 2, 3]);
  result.segmentIds.fill(0);
  for (let row = 0; row < B; row++) {
    const length = row === 3 ? 5 : T;
    for (let t = 0; t < length; t++) {
      const index = row * T + t;
      result.ids[index] = (row * 11 + t * 3) % 40;
      result.targets[index] = (row * 11 + t * 3 + 3) % 40;
      result.keyMask[index] = 1;
      result.positions[index] = t;
      result.lossMask[index] = t > 0 ? 1 : 0;
      result.trainedTokens += t > 0 ? 1 : 0;
    }
  }
  return result;
}

describe('shardBatch', () => {
  it('splits rows evenly and recounts trained tokens', () => {
    const shards = shardBatch(batch(), 3);
    expect(shards.map((shard) => shard.B)).toEqual([1, 1, 2]);
    expect(shards.reduce((total, shard) => total + shard.trainedTokens, 0)).toBe(batch().trainedTokens);
    expect(shards[2]!.ids).toEqual(batch().ids.slice(16));
  });
});

describe('DataParallelTrainer', () => {
  let trainer: DataParallelTrainer;
  beforeAll(async () => {
    await tf.setBackend('cpu');
    trainer = await DataParallelTrainer.start({ config, workers: 2, backend: 'cpu', seed: 5 });
  }, 60_000);
  afterAll(async () => trainer?.close());

  it('matches single-process training and keeps the replicas identical', async () => {
    const model = DecoderModel.create(config, { seed: 5 });
    const optimizer = new Optimizer(trainableSet(model));
    try {
      for (let step = 0; step < 3; step++) {
        const single = await optimizer.step(model, [batch()], false, ADAMW);
        const parallel = await trainer.step([batch()], false, ADAMW);
        expect(parallel.skipped).toBe(false);
        expect(parallel.trainedTokens).toBe(single.trainedTokens);
        expect(Math.abs(parallel.loss - single.loss)).toBeLessThan(1e-4);
        expect(Math.abs(parallel.gradNorm - single.gradNorm)).toBeLessThan(1e-4 * Math.max(1, single.gradNorm));
      }
      const [first, second] = await Promise.all([trainer.readParameters(0), trainer.readParameters(1)]);
      for (const [name, variable] of model.parameters) {
        expect(second[name]).toEqual(first[name]);
        const expected = variable.dataSync();
        const worst = first[name]!.reduce((max, value, index) => Math.max(max, Math.abs(value - expected[index]!)), 0);
        expect(worst, name).toBeLessThan(1e-4);
      }
    } finally {
      optimizer.dispose();
      model.dispose();
    }
  }, 60_000);

  it('rejects a bad worker count', async () => {
    await expect(DataParallelTrainer.start({ config, workers: 0 })).rejects.toThrow(/positive integer/);
  });
});
