import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { charTokenizer, TrainingError, type ProgressEvent } from '@steerlm/core';
import { steerLM2Loss, steerLM2Weights } from './steerlm2-objective';
import { trainConditionedSFT, trainConditionedSFTEvents } from './train-conditioned-sft';
import { resumableRunOptions, tinyConversations, tinyModel } from './testing/tiny-run';

const tokenizer = charTokenizer();
let folder: string;
beforeAll(async () => {
  await tf.setBackend('cpu');
  folder = await mkdtemp(join(tmpdir(), 'steerlm-train-'));
});
afterAll(async () => rm(folder, { recursive: true, force: true }));

async function metricLosses(directory: string): Promise<Map<number, number>> {
  const lines = (await readFile(join(directory, 'metrics.jsonl'), 'utf8')).trim().split('\n');
  const losses = new Map<number, number>();
  for (const line of lines) {
    const row = JSON.parse(line) as { step: number; loss?: number };
    if (row.loss !== undefined) losses.set(row.step, row.loss);
  }
  return losses;
}

describe('trainConditionedSFT', () => {
  it('overfits a handful of conversations to near-zero loss, with events, metrics and a loss plot', async () => {
    const model = tinyModel();
    const output = join(folder, 'overfit');
    const { events, result } = trainConditionedSFTEvents({
      model,
      tokenizer,
      train: tinyConversations(4),
      validation: tinyConversations(4),
      batchSize: 4,
      epochs: 150,
      learningRate: 1e-2,
      warmupSteps: 5,
      weightDecay: 0,
      outputDir: output,
      validationEvery: 50,
      perAttributeValidation: true,
    });
    const seen: ProgressEvent[] = [];
    for await (const event of events) seen.push(event);
    const { summary } = await result;
    expect(summary.lossCurve[0]!.loss).toBeGreaterThan(3);
    expect(summary.finalLoss).toBeLessThan(0.05);
    expect(summary.validationLoss).toBeLessThan(0.05);
    expect(seen[0]!.type).toBe('job-start');
    expect(seen.at(-1)!.type).toBe('job-end');
    expect(seen.some((event) => event.type === 'evaluation' && 'quality=0' in event.metrics)).toBe(true);
    expect(await readFile(join(output, 'loss-curve.svg'), 'utf8')).toContain('<polyline');
    expect((await readdir(output)).filter((name) => name.startsWith('checkpoint-'))).toHaveLength(1);
    model.dispose();
  });

  it('resumes after a kill -9 between checkpoints with a loss curve equal to the uninterrupted run (1e-6), from the checkpoint', async () => {
    const uninterrupted = join(folder, 'whole');
    const interrupted = join(folder, 'killed');
    const child = join(fileURLToPath(new URL('.', import.meta.url)), 'testing', 'train-child.ts');
    const run = (dir: string, killAfterStep?: number) =>
      new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve, reject) => {
        const args = ['--import', 'tsx', child, dir, ...(killAfterStep === undefined ? [] : [String(killAfterStep)])];
        const process_ = spawn(process.execPath, args, { stdio: ['ignore', 'ignore', 'inherit'] });
        process_.on('exit', (code, signal) => resolve({ code, signal }));
        process_.on('error', reject);
      });
    expect(await run(uninterrupted)).toEqual({ code: 0, signal: null });
    // The child kills itself (SIGKILL) when step 7 ends: after checkpoint 6, before checkpoint 8.
    expect(await run(interrupted, 7)).toEqual({ code: null, signal: 'SIGKILL' });
    const killedSteps = await metricLosses(interrupted);
    // Step 7 ran; whether its metrics line was flushed before the kill is the writer's business.
    expect(Math.max(...killedSteps.keys())).toBeGreaterThanOrEqual(6);
    expect(Math.max(...killedSteps.keys())).toBeLessThanOrEqual(7);
    expect((await readdir(interrupted)).filter((name) => name.startsWith('checkpoint-')).sort()).toEqual([
      'checkpoint-00000002',
      'checkpoint-00000004',
      'checkpoint-00000006',
    ]);
    // The resumed run starts from a model with another seed: only the checkpoint can make it match the
    // uninterrupted run (a resume that ignored it, or a run from scratch, differs from step 7 on).
    const model = tinyModel(2);
    const fresh = tinyModel(1);
    const differs = tf.sub(model.parameters.get('model.embed_tokens.weight')!, fresh.parameters.get('model.embed_tokens.weight')!).abs().max().dataSync()[0]!;
    expect(differs).toBeGreaterThan(1e-3);
    fresh.dispose();
    const { summary } = await trainConditionedSFT({
      model,
      tokenizer,
      ...resumableRunOptions(),
      outputDir: interrupted,
      resume: interrupted,
    });
    const whole = await metricLosses(uninterrupted);
    const resumed = await metricLosses(interrupted);
    expect(summary.steps).toBe(16);
    expect(whole.size).toBe(16);
    expect(resumed.size).toBe(16);
    for (const [step, loss] of whole) expect(Math.abs(resumed.get(step)! - loss), `step ${step}`).toBeLessThan(1e-6);
    // The resumed run's own steps (7..16) are what summary.lossCurve holds: they match too.
    expect(summary.lossCurve.map((point) => point.step)).toEqual([7, 8, 9, 10, 11, 12, 13, 14, 15, 16]);
    for (const point of summary.lossCurve) expect(Math.abs(point.loss - whole.get(point.step)!), `resumed step ${point.step}`).toBeLessThan(1e-6);
    model.dispose();
  });

  it('reports the epochs trained as a fraction (2 of 4 steps of an epoch: 0.5)', async () => {
    const { summary } = await trainConditionedSFT({ model: tinyModel(), tokenizer, train: tinyConversations(8), batchSize: 2, maxSteps: 2, epochs: 3 });
    expect(summary.steps).toBe(2);
    expect(summary.epochs).toBe(0.5);
  });

  it('skips non-finite steps, then stops naming the step and the last good checkpoint', async () => {
    const model = tinyModel();
    const events: ProgressEvent[] = [];
    const output = join(folder, 'nan');
    // Inject NaN into a weight before steps 3, 6 and 7 (restored before step 4): their loss is NaN.
    const weight = model.parameters.get('model.norm.weight')!;
    const good = weight.clone();
    const inject = (event: ProgressEvent) => {
      if (event.type !== 'step-start') return;
      if (event.step === 3 || event.step === 6) weight.assign(tf.fill(weight.shape, Number.NaN));
      if (event.step === 4) weight.assign(good);
    };
    const failure = trainConditionedSFT({
      model,
      tokenizer,
      train: tinyConversations(4),
      batchSize: 2,
      epochs: 10,
      outputDir: output,
      checkpointEvery: 2,
      maxConsecutiveNonFinite: 2,
      onEvent: (event) => {
        inject(event);
        events.push(event);
      },
    });
    const error = await failure.then(
      () => undefined,
      (caught: unknown) => caught,
    );
    expect(TrainingError.isInstance(error)).toBe(true);
    expect((error as TrainingError).message, (error as Error).message).toMatch(/2 steps in a row, up to step 7.*checkpoint-00000004/);
    expect((error as TrainingError).step).toBe(7);
    expect(events.filter((event) => event.type === 'warning').map((event) => (event as { step: number }).step)).toEqual([3, 6, 7]);
    model.dispose();
  });

  it('LoRA and full fine-tuning both lower the loss on the same data', async () => {
    const results: number[][] = [];
    for (const lora of [undefined, { rank: 4, alpha: 8, targetModules: ['q_proj', 'v_proj', 'gate_proj', 'up_proj', 'down_proj'] }]) {
      const model = tinyModel(3);
      // Frozen random embeddings at init scale keep logits near uniform; give them a pretrained-like scale.
      const embeddings = model.parameters.get('model.embed_tokens.weight')!;
      embeddings.assign(tf.mul(embeddings, 25));
      const { summary } = await trainConditionedSFT({
        model,
        tokenizer,
        train: tinyConversations(4),
        batchSize: 4,
        epochs: 40,
        learningRate: lora ? 3e-2 : 1e-2,
        weightDecay: 0,
        ...(lora ? { lora } : {}),
      });
      results.push([summary.lossCurve[0]!.loss, summary.finalLoss]);
      if (lora) expect(model.adapters.size).toBe(10);
      model.dispose();
    }
    for (const [first, last] of results) expect(last!).toBeLessThan(first! - 1);
  });
});

describe('SteerLM 2.0 objective', () => {
  it('matches a hand-computed example', () => {
    // Two responses. target logits: (-1 + -10 - -9, -2 + -12 - -11) = (-2, -3) → w = (0.731059, 0.268941)
    // baseline logits with log Qθ = (-8, -13): (-8 + 9, -13 + 11) = (1, -2) → b = (0.952574, 0.047426)
    const responses = [
      { logAttributeProbability: -1, logResponseProbability: -10, logReferenceProbability: -9 },
      { logAttributeProbability: -2, logResponseProbability: -12, logReferenceProbability: -11 },
    ];
    const weights = steerLM2Weights(responses, [-8, -13]);
    expect(weights.target[0]).toBeCloseTo(0.731059, 5);
    expect(weights.baseline[0]).toBeCloseTo(0.952574, 5);
    // KL = 0.731059·ln(0.731059/0.952574) + 0.268941·ln(0.268941/0.047426) = 0.2732085
    expect(weights.klDivergence).toBeCloseTo(0.2732085, 6);
    // loss = -[(w0-b0)·(-8) + (w1-b1)·(-13)] / 10 tokens = 0.1107578
    const logQ = tf.tensor1d([-8, -13]);
    expect(steerLM2Loss(logQ, weights, 10).dataSync()[0]).toBeCloseTo(0.1107578, 5);
    // d loss / d logQ = -(w - b) / tokens: pushes the under-weighted response up.
    const gradient = tf
      .grad((x: tf.Tensor) => steerLM2Loss(x as tf.Tensor1D, weights, 10))(logQ)
      .arraySync() as number[];
    expect(gradient[0]).toBeCloseTo((0.952574 - 0.731059) / 10, 5);
    expect(gradient[1]).toBeCloseTo((0.047426 - 0.268941) / 10, 5);
  });
});
