import * as tf from '@tensorflow/tfjs';
import { SteerLMError, TrainingError } from '@steerlm/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseModelConfig } from '../io/hf-config';
import { mlasAvailable } from '../kernels/host/mlas-gemm';
import { DecoderModel } from '../models';
import { emptyBatch, type TrainingBatch } from '../trainer/batching';
import { Optimizer, trainableSet } from '../trainer/train-step';
import { DataParallelTrainer } from './data-parallel-trainer';
import { shardBatch } from './shard-batch';

const config = parseModelConfig({ architectures: ['GPT2LMHeadModel'], vocab_size: 40, n_embd: 16, n_layer: 1, n_head: 2, n_positions: 16 });
const ADAMW = { learningRate: 1e-2, weightDecay: 0.01, maxGradNorm: 1 };

/** A batch of `B` rows (4 by default) with a padded last row; `salt` varies the tokens. */
function batch(B = 4, salt = 0): TrainingBatch {
  const T = 8;
  const result = emptyBatch(
    B,
    T,
    Array.from({ length: B }, (_, row) => row),
  );
  result.segmentIds.fill(0);
  for (let row = 0; row < B; row++) {
    const length = row === B - 1 ? 5 : T;
    for (let t = 0; t < length; t++) {
      const index = row * T + t;
      result.ids[index] = (row * 11 + t * 3 + salt) % 40;
      result.targets[index] = (row * 11 + t * 3 + 3 + salt) % 40;
      result.keyMask[index] = 1;
      result.positions[index] = t;
      result.lossMask[index] = t > 0 ? 1 : 0;
      result.trainedTokens += t > 0 ? 1 : 0;
    }
  }
  return result;
}

/** The steps of the parity run: one batch, then gradient accumulation over micro-batches of 3 rows and of 1 (one worker gets no rows). */
const STEPS: TrainingBatch[][] = [[batch()], [batch(3, 5), batch(1, 9)], [batch(4, 2)]];

/** Returns the largest absolute difference between two arrays. */
function worstDifference(actual: Float32Array, expected: Float32Array | ArrayLike<number>): number {
  expect(actual.length).toBe(expected.length);
  return actual.reduce((max, value, index) => Math.max(max, Math.abs(value - expected[index]!)), 0);
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

  it('runs every worker on one MLAS thread where MLAS loads', () => {
    expect(trainer.matmul).toBe(mlasAvailable() ? 'MLAS, 1 thread' : "the cpu backend's own");
  });

  it('matches single-thread training: losses, norms, weights and AdamW moments, with identical replicas', async () => {
    const model = DecoderModel.create(config, { seed: 5 });
    const optimizer = new Optimizer(trainableSet(model));
    try {
      for (const microBatches of STEPS) {
        const single = await optimizer.step(model, microBatches, false, ADAMW);
        const parallel = await trainer.step(microBatches, false, ADAMW);
        expect(parallel.skipped).toBe(false);
        expect(parallel.trainedTokens).toBe(single.trainedTokens);
        // Summation order only (each worker's rows, then the shards added): a few float32 ulps.
        expect(Math.abs(parallel.loss - single.loss)).toBeLessThan(1e-5 * single.loss);
        expect(Math.abs(parallel.gradNorm - single.gradNorm)).toBeLessThan(1e-5 * single.gradNorm);
      }
      const shared = trainer.parameters();
      const [first, second] = await Promise.all([trainer.readParameters(0), trainer.readParameters(1)]);
      for (const [name, variable] of model.parameters) {
        expect(first[name], name).toEqual(shared[name]);
        expect(second[name], name).toEqual(shared[name]);
        expect(worstDifference(shared[name]!, variable.dataSync()), name).toBeLessThan(1e-5);
      }
      const state = await trainer.optimizerState();
      expect(state.step).toBe(optimizer.state.step);
      optimizer.trainable.names.forEach((name, index) => {
        expect(worstDifference(state.firstMoments[name]!, optimizer.state.firstMoments[index]!.dataSync()), name).toBeLessThan(1e-5);
        expect(worstDifference(state.secondMoments[name]!, optimizer.state.secondMoments[index]!.dataSync()), name).toBeLessThan(1e-6);
      });
    } finally {
      optimizer.dispose();
      model.dispose();
    }
  }, 60_000);

  it('resumes from a saved state to the same weights, bit for bit', async () => {
    const parameters = trainer.parameters();
    const state = await trainer.optimizerState();
    await trainer.step([batch(4, 7)], false, ADAMW);
    const straight = trainer.parameters();
    // Back to the saved state (weights, moments and step count), then the same step again.
    await trainer.loadState(parameters, state);
    expect(trainer.parameters()).toEqual(parameters);
    expect(await trainer.readParameters(1)).toEqual(parameters);
    await trainer.step([batch(4, 7)], false, ADAMW);
    expect(trainer.parameters()).toEqual(straight);
    expect((await trainer.optimizerState()).step).toBe(state.step + 1);
  }, 60_000);

  it('refuses a state of the wrong shape', async () => {
    const parameters = trainer.parameters();
    const name = trainer.names[0]!;
    await expect(trainer.loadState({ ...parameters, [name]: new Float32Array(3) })).rejects.toThrow(
      new RegExp(`parameters\\.${name.replace(/\./g, '\\.')} must hold`),
    );
  });

  it('rejects a bad worker count', async () => {
    await expect(DataParallelTrainer.start({ config, workers: 0 })).rejects.toThrow(/positive integer/);
  });
});

describe('DataParallelTrainer failures', () => {
  it('surfaces an error in one worker as a TrainingError while the other waits in the barrier, then stays stopped', async () => {
    const trainer = await DataParallelTrainer.start({ config, workers: 2, backend: 'cpu', seed: 5 });
    try {
      // Rows 2-3 of the token ids are missing: worker 1's shard cannot make its tensors; worker 0 computes and waits for it.
      const broken = { ...batch(), ids: batch().ids.slice(0, 16) };
      const error = await trainer.step([broken], false, ADAMW).catch((caught: unknown) => caught);
      expect(SteerLMError.isInstance(error)).toBe(true);
      expect(error).toBeInstanceOf(TrainingError);
      expect((error as Error).message).toMatch(/data-parallel worker 1 failed/);
      await expect(trainer.step([batch()], false, ADAMW)).rejects.toThrow(/stopped after a worker failed/);
    } finally {
      await trainer.close();
    }
  }, 60_000);

  it('surfaces a worker that dies in the middle of a step, without hanging', async () => {
    const workerModule = new URL('./testing/exiting-data-parallel-worker.ts', import.meta.url).href;
    const trainer = await DataParallelTrainer.start({ config, workers: 2, backend: 'cpu', seed: 5, workerModule });
    try {
      await expect(trainer.step([batch()], false, ADAMW)).rejects.toThrow(/data-parallel worker 1 exited with code 3/);
    } finally {
      await trainer.close();
    }
  }, 60_000);
});
