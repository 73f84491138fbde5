import { spawn } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { charTokenizer, InvalidOptionError, readJsonl, TrainingError, type Conversation } from '@steerlm/core';
import { readRunStatus, truncateMetrics } from './run-folder';
import { trainConditionedSFT, type TrainConditionedSFTOptions } from './train-conditioned-sft';
import { resumableRunOptions, tinyConversations, tinyModel } from './testing/tiny-run';

let folder: string;
beforeAll(async () => {
  await tf.setBackend('cpu');
  folder = await mkdtemp(join(tmpdir(), 'steerlm-run-folder-'));
});
afterAll(async () => rm(folder, { recursive: true, force: true }));

async function train(options: Partial<TrainConditionedSFTOptions> & { outputDir: string }) {
  const model = tinyModel(1);
  try {
    return (
      await trainConditionedSFT({
        model,
        tokenizer: charTokenizer(),
        train: tinyConversations(4),
        batchSize: 2,
        epochs: 10,
        seed: 3,
        checkpointEvery: 2,
        ...options,
      })
    ).summary;
  } finally {
    model.dispose();
  }
}

async function failure(promise: Promise<unknown>): Promise<Error> {
  return promise.then(
    () => {
      throw new Error('expected a failure');
    },
    (error: unknown) => error as Error,
  );
}

async function metricSteps(directory: string): Promise<number[]> {
  const rows: number[] = [];
  // readJsonl: our own reader must accept the file (a torn line glued to the next row did not).
  for await (const { value } of readJsonl<{ step: number; loss?: number }>(join(directory, 'metrics.jsonl')))
    if (value.loss !== undefined) rows.push(value.step);
  return rows;
}

describe('run folders', () => {
  it('refuses a folder that holds another run unless overwrite, which starts clean', async () => {
    const output = join(folder, 'reuse');
    expect((await train({ outputDir: output, maxSteps: 4 })).completed).toBe(true);
    const refused = await failure(train({ outputDir: output, maxSteps: 2 }));
    expect(InvalidOptionError.isInstance(refused)).toBe(true);
    expect(refused.message).toMatch(
      /reuse: this output folder holds another run \(checkpoint-00000002, checkpoint-00000004, loss-curve\.svg, metrics\.jsonl, …\).*--resume.*--overwrite/,
    );
    expect(await metricSteps(output)).toEqual([1, 2, 3, 4]); // untouched
    const summary = await train({ outputDir: output, maxSteps: 2, overwrite: true });
    expect(summary.steps).toBe(2);
    expect(await metricSteps(output)).toEqual([1, 2]);
    expect((await readdir(output)).filter((name) => name.startsWith('checkpoint-'))).toEqual(['checkpoint-00000002']);
    expect(await readRunStatus(output)).toMatchObject({ status: 'completed', completed: true, steps: 2, totalSteps: 2 });
  });

  it('resume checks the data content and the options, naming what differs', async () => {
    const output = join(folder, 'fingerprint');
    await train({ outputDir: output, maxSteps: 4 });
    // Same number of records, one answer changed.
    const changed: Conversation[] = tinyConversations(4);
    changed[2] = { ...changed[2]!, turns: [changed[2]!.turns[0]!, { ...changed[2]!.turns[1]!, text: 'Green!' }] };
    const data = await failure(train({ outputDir: output, maxSteps: 4, train: changed, resume: output }));
    expect(TrainingError.isInstance(data)).toBe(true);
    expect(data.message).toMatch(/checkpoint .*checkpoint-00000004 was made by another run: the data's content differs/);
    const options = await failure(train({ outputDir: output, maxSteps: 4, learningRate: 1e-3, resume: output }));
    expect(options.message).toMatch(/learningRate 0\.001 \(the checkpoint has 0\.0003\)/);
    expect((await train({ outputDir: output, maxSteps: 4, resume: output })).resumedFrom).toEqual({ checkpoint: join(output, 'checkpoint-00000004'), step: 4 });
  });

  it('a resume before the first checkpoint says so (not ENOENT on state.json)', async () => {
    const output = join(folder, 'early');
    const controller = new AbortController();
    controller.abort();
    const stopped = await train({ outputDir: output, maxSteps: 4, checkpointEvery: 100, signal: controller.signal });
    expect(stopped).toMatchObject({ steps: 0, completed: false, totalSteps: 4 });
    await rm(output, { recursive: true, force: true });
    const missing = await failure(train({ outputDir: output, maxSteps: 4, resume: output }));
    expect(missing.message).toMatch(/early: nothing to resume: the folder does not exist/);
    const { mkdir } = await import('node:fs/promises');
    await mkdir(output);
    await writeFile(join(output, 'metrics.jsonl'), '{"step":1,"loss":5}\n');
    const early = await failure(train({ outputDir: output, maxSteps: 4, resume: output }));
    expect(TrainingError.isInstance(early)).toBe(true);
    expect(early.message).toMatch(/early: nothing to resume here: the run stopped before its first checkpoint was written.*--overwrite/);
    expect(early.message).not.toMatch(/ENOENT/);
  });

  it('an interrupted run says so in the summary and run.json', async () => {
    const output = join(folder, 'interrupted');
    const controller = new AbortController();
    const summary = await train({
      outputDir: output,
      maxSteps: 8,
      signal: controller.signal,
      onEvent: (event) => {
        if (event.type === 'step-end' && event.step === 3) controller.abort();
      },
    });
    expect(summary).toMatchObject({ steps: 3, completed: false, totalSteps: 8 });
    expect(await readRunStatus(output)).toMatchObject({ status: 'interrupted', completed: false, steps: 3, totalSteps: 8 });
    // It resumes from the checkpoint written on the way out, and completes.
    const resumed = await train({ outputDir: output, maxSteps: 8, resume: output });
    expect(resumed).toMatchObject({ steps: 8, completed: true, resumedFrom: { step: 3 } });
    expect(await metricSteps(output)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
  });

  it('a signal aborted from a timer stops training between steps, even without an output folder', async () => {
    // Nothing in a step needs the event loop on the cpu backend: without a turn between steps the timer
    // (like a SIGTERM handler) would not run until all 300 steps were done.
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 200);
    const model = tinyModel(1);
    const { summary } = await trainConditionedSFT({
      model,
      tokenizer: charTokenizer(),
      train: tinyConversations(4),
      batchSize: 2,
      epochs: 150,
      signal: controller.signal,
    });
    model.dispose();
    expect(summary.completed).toBe(false);
    expect(summary.steps).toBeLessThan(300);
    expect(summary.totalSteps).toBe(300);
  });

  it('resume after kill -9 leaves each step once in metrics.jsonl', async () => {
    const output = join(folder, 'killed');
    const child = join(fileURLToPath(new URL('.', import.meta.url)), 'testing', 'train-child.ts');
    await new Promise<void>((resolve, reject) => {
      // The child kills itself (SIGKILL) as step 7 ends: steps 5 and 6 have reached metrics.jsonl after
      // checkpoint 4. (A kill from here, timed after "checkpoint 4", raced the run once steps got fast.)
      const process_ = spawn(process.execPath, ['--import', 'tsx', child, output, '7'], { stdio: ['ignore', 'ignore', 'inherit'] });
      process_.on('exit', () => resolve());
      process_.on('error', reject);
    });
    const before = await metricSteps(output);
    expect(Math.max(...before)).toBeGreaterThan(4);
    expect(Math.max(...before)).toBeLessThan(16);
    const model = tinyModel(1);
    const summary = (
      await trainConditionedSFT({
        model,
        tokenizer: charTokenizer(),
        ...resumableRunOptions(),
        outputDir: output,
        resume: output,
      })
    ).summary;
    model.dispose();
    expect(summary.steps).toBe(16);
    expect(await metricSteps(output)).toEqual(Array.from({ length: 16 }, (_, index) => index + 1));
  });

  it('truncateMetrics drops later rows and a torn last line', async () => {
    const file = join(folder, 'torn.jsonl');
    await writeFile(file, '{"step":1,"loss":3}\n{"step":2,"loss":2}\n{"step":2,"validationLoss":2.5}\n{"step":3,"loss":1}\n{"step":4,"lo');
    expect(await truncateMetrics(file, 2)).toBe(2); // the step-3 row and the torn line
    expect(await readFile(file, 'utf8')).toBe('{"step":1,"loss":3}\n{"step":2,"loss":2}\n{"step":2,"validationLoss":2.5}\n');
    expect(await truncateMetrics(file, 2)).toBe(0);
  });

  it('an output folder that cannot be written gives a located error', async () => {
    const file = join(folder, 'a-file');
    await writeFile(file, 'x');
    const error = await failure(train({ outputDir: join(file, 'run'), maxSteps: 1 }));
    expect(InvalidOptionError.isInstance(error)).toBe(true);
    expect(error.message).toMatch(/a-file\/run: cannot write to this folder: a part of the path is a file, not a folder \(ENOTDIR\)/);
  });
});
