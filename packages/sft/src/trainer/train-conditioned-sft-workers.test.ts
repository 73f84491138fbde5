/** trainConditionedSFT on data-parallel worker threads: the same run as one thread, resumable across worker counts. */
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { charTokenizer, InvalidOptionError } from '@steerlm/core';
import { listCheckpoints } from './checkpoint';
import { trainConditionedSFT } from './train-conditioned-sft';
import { resumableRunOptions, tinyConversations, tinyModel } from './testing/tiny-run';

const tokenizer = charTokenizer();
let folder: string;
beforeAll(async () => {
  await tf.setBackend('cpu');
  folder = await mkdtemp(join(tmpdir(), 'steerlm-workers-'));
});
afterAll(async () => rm(folder, { recursive: true, force: true }));

/** The run of these tests: 6 steps of 2 records (one per worker), a checkpoint every 2 steps, validation. */
const RUN = { ...resumableRunOptions(), epochs: 2, train: tinyConversations(6), validation: tinyConversations(3), validationEvery: 3 };

/** Returns a copy of every weight of a model by name. */
function weightsOf(model: ReturnType<typeof tinyModel>): Map<string, Float32Array> {
  return new Map([...model.parameters].map(([name, variable]) => [name, (variable.dataSync() as Float32Array).slice()]));
}

/** Returns the largest absolute difference between two models' weights. */
function worstDifference(a: Map<string, Float32Array>, b: Map<string, Float32Array>): number {
  let worst = 0;
  for (const [name, values] of a) values.forEach((value, index) => (worst = Math.max(worst, Math.abs(value - b.get(name)![index]!))));
  return worst;
}

describe('trainConditionedSFT with workers', () => {
  it('trains the same run as one thread (losses, validation, final weights) and resumes a 2-worker checkpoint on one thread', async () => {
    const single = tinyModel(1);
    const one = await trainConditionedSFT({ ...RUN, model: single, tokenizer, outputDir: join(folder, 'one') });
    const parallel = tinyModel(1);
    const two = await trainConditionedSFT({ ...RUN, model: parallel, tokenizer, outputDir: join(folder, 'two'), workers: 2 });
    expect([one.summary.workers, two.summary.workers]).toEqual([1, 2]);
    expect(two.summary.steps).toBe(6);
    expect(two.summary.lossCurve.map((point) => point.step)).toEqual(one.summary.lossCurve.map((point) => point.step));
    two.summary.lossCurve.forEach((point, index) => expect(Math.abs(point.loss - one.summary.lossCurve[index]!.loss), `step ${point.step}`).toBeLessThan(1e-5));
    expect(Math.abs(two.summary.validationLoss! - one.summary.validationLoss!)).toBeLessThan(1e-5);
    // The model is trained in place, as with one thread.
    expect(worstDifference(weightsOf(parallel), weightsOf(single))).toBeLessThan(1e-5);
    expect(worstDifference(weightsOf(parallel), weightsOf(tinyModel(1)))).toBeGreaterThan(1e-3);

    // Resume the 2-worker run from its step-4 checkpoint, on 2 workers and on one thread: both end where it ended.
    const checkpoints = await listCheckpoints(join(folder, 'two'));
    const fourth = checkpoints.find((name) => name.endsWith('00000004'))!;
    for (const workers of [2, 1]) {
      const resumed = tinyModel(9);
      const run = await trainConditionedSFT({ ...RUN, model: resumed, tokenizer, outputDir: join(folder, 'two'), resume: fourth, workers });
      expect(run.summary.resumedFrom?.step).toBe(4);
      const tolerance = workers === 2 ? 0 : 1e-5;
      expect(worstDifference(weightsOf(resumed), weightsOf(parallel)), `resumed on ${workers}`).toBeLessThanOrEqual(tolerance);
      resumed.dispose();
    }
    single.dispose();
    parallel.dispose();
  }, 120_000);

  it('refuses workers with LoRA or frozen embeddings, naming the option, before it makes the run folder', async () => {
    const model = tinyModel();
    for (const [what, extra] of [
      ['lora', { lora: { rank: 2, alpha: 4, targetModules: ['q_proj'] } }],
      ['frozen', { freezeEmbeddings: true }],
    ] as const) {
      const outputDir = join(folder, `refused-${what}`);
      const error = await trainConditionedSFT({ ...RUN, ...extra, model, tokenizer, outputDir, workers: 2 }).catch((caught: unknown) => caught);
      expect(error, what).toBeInstanceOf(InvalidOptionError);
      expect((error as InvalidOptionError).message).toMatch(/workers 2: .*LoRA adapters, frozen embeddings/);
      expect(existsSync(outputDir), what).toBe(false);
    }
    model.dispose();
  });

  it('refuses a worker count that is not a positive integer', async () => {
    const model = tinyModel();
    await expect(trainConditionedSFT({ ...RUN, model, tokenizer, workers: 1.5 })).rejects.toThrow(/workers must be a positive integer/);
    model.dispose();
  });
});
