/**
 * Every command that computes with tfjs gives on `--backend webgpu` the results it gives on
 * `--backend wasm`: sft train (per-step loss and grad norm within 1e-3 relative, and a SIGKILL +
 * --resume on webgpu), generate, export (and a reload), eval, bootstrap, serve (with the official
 * openai client, streaming and not) and the demo at a reduced size. With CI=true the webgpu
 * adapter (lavapipe) must exist: these tests fail rather than skip without one.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { copyFile, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import OpenAI from 'openai';
import { acquireWebGPUDevice, DecoderModel, selectBackend } from '@steerlm/sft';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TINY_DEMO_MODEL, SMALL_DEMO_STAGES } from '../testing/tiny-demo-args';
import { writeTinyNemoFile } from '../testing/tiny-dataset';
import { tinySftTrainArgs } from '../testing/tiny-sft-args';
import { runCommandInProcess } from '../testing/run-command-in-process';

const bin = fileURLToPath(new URL('../../dist/bin.js', import.meta.url));
const unavailable = await acquireWebGPUDevice({ timeoutMs: 10_000 }).then(
  () => null,
  (error: unknown) => (error instanceof Error ? error.message : String(error)),
);
const continuousIntegration = process.env.CI === 'true';

interface StepMetrics {
  step: number;
  loss: number;
  gradNorm: number;
}

/** Returns the last metrics row of every step in a run folder's metrics.jsonl, by step. */
async function stepMetrics(run: string): Promise<StepMetrics[]> {
  const bySteps = new Map<number, StepMetrics>();
  for (const line of (await readFile(join(run, 'metrics.jsonl'), 'utf8')).trim().split('\n')) {
    const row = JSON.parse(line) as Partial<StepMetrics>;
    if (row.loss !== undefined) bySteps.set(row.step!, row as StepMetrics);
  }
  return [...bySteps.values()].sort((a, b) => a.step - b.step);
}

function expectSameSteps(actual: StepMetrics[], expected: StepMetrics[], tolerance: number): void {
  expect(actual.map((row) => row.step)).toEqual(expected.map((row) => row.step));
  actual.forEach((row, index) => {
    const want = expected[index]!;
    expect(Math.abs(row.loss - want.loss) / want.loss, `loss at step ${row.step}: ${row.loss} vs ${want.loss}`).toBeLessThan(tolerance);
    expect(Math.abs(row.gradNorm - want.gradNorm) / want.gradNorm, `grad norm at step ${row.step}: ${row.gradNorm} vs ${want.gradNorm}`).toBeLessThan(
      tolerance,
    );
  });
}

async function firstLine(stream: NodeJS.ReadableStream): Promise<string> {
  for await (const line of createInterface({ input: stream })) return line;
  throw new Error('the process printed nothing');
}

if (unavailable !== null && continuousIntegration) {
  it('has a WebGPU adapter (required when CI=true)', () => {
    throw new Error(`no WebGPU adapter on CI: ${unavailable}; install Mesa lavapipe (scripts/install-test-deps.sh)`);
  });
}

describe.skipIf(unavailable !== null)(`every command on --backend webgpu matches --backend wasm${unavailable ? ` (skipped: ${unavailable})` : ''}`, () => {
  let folder: string;
  let data: string;
  let predictor: string;
  let prompts: string;
  /** A model folder with random (seeded) weights: its greedy answers are long and varied. */
  let randomModel: string;
  const train = (backend: string, output: string, extra: string[] = []) => [
    ...tinySftTrainArgs(data, output, `--batch-size 2 --learning-rate 3e-3 --max-steps 8 --checkpoint-every 2 --backend ${backend}`),
    ...extra,
  ];

  beforeAll(async () => {
    folder = await mkdtemp(join(tmpdir(), 'steerlm-webgpu-cli-'));
    data = await writeTinyNemoFile(join(folder, 'train.jsonl'), 24);
    predictor = join(folder, 'apm');
    prompts = join(folder, 'prompts.txt');
    await writeFile(prompts, 'Tell me a joke about cats.\nWhat is the capital of France?\n');
    const apm = await runCommandInProcess(['apm', 'train', '--data', data, '--output', predictor, '--schema', 'oasst', '--featurizer', 'text-statistics']);
    expect(apm.code, apm.stderr).toBe(0);
  }, 120_000);
  afterAll(async () => {
    await rm(folder, { recursive: true, force: true });
  });

  it('sft train: the per-step loss and grad norm of webgpu are within 1e-3 of wasm', async () => {
    for (const backend of ['wasm', 'webgpu']) {
      const run = await runCommandInProcess([...train(backend, join(folder, `run-${backend}`)), '--json']);
      expect(run.code, run.stderr).toBe(0);
      expect(JSON.parse(run.stdout)).toMatchObject({ steps: 8, backend });
    }
    const wasm = await stepMetrics(join(folder, 'run-wasm'));
    expect(wasm).toHaveLength(8);
    expect(wasm[0]!.loss).toBeGreaterThan(5);
    expectSameSteps(await stepMetrics(join(folder, 'run-webgpu')), wasm, 1e-3);
    // A model folder of the trained shape and tokenizer, with random weights, for the decoding commands.
    randomModel = join(folder, 'random');
    await selectBackend({ prefer: 'wasm', strict: true });
    const trained = await DecoderModel.load(join(folder, 'run-wasm', 'final'));
    const random = DecoderModel.create(trained.config, { seed: 7 });
    await random.save(randomModel);
    trained.dispose();
    random.dispose();
    for (const file of ['tokenizer.json', 'tokenizer_config.json']) await copyFile(join(folder, 'run-wasm', 'final', file), join(randomModel, file));
  }, 240_000);

  it.runIf(existsSync(bin) || continuousIntegration)(
    'sft train: killed with SIGKILL on webgpu after a checkpoint, --resume ends where the uninterrupted run did',
    async () => {
      const output = join(folder, 'killed');
      const child = spawn(process.execPath, [bin, ...train('webgpu', output)], { stdio: ['ignore', 'ignore', 'pipe'] });
      let stderr = '';
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      let running = true;
      const exited = new Promise<NodeJS.Signals | null>((resolve) =>
        child.on('exit', (_code, signal) => {
          running = false;
          resolve(signal);
        }),
      );
      while (running && !existsSync(join(output, 'checkpoint-00000002', 'state.json'))) await new Promise((resolve) => setTimeout(resolve, 10));
      child.kill('SIGKILL');
      expect(await exited, stderr).toBe('SIGKILL');
      const checkpoints = (await readdir(output)).filter((name) => name.startsWith('checkpoint-'));
      expect(checkpoints.length).toBeGreaterThan(0);
      expect(checkpoints).not.toContain('checkpoint-00000008');
      const resumed = await runCommandInProcess([...train('webgpu', output, ['--resume']), '--json']);
      expect(resumed.code, resumed.stderr).toBe(0);
      expect(JSON.parse(resumed.stdout)).toMatchObject({ steps: 8, backend: 'webgpu' });
      expectSameSteps(await stepMetrics(output), await stepMetrics(join(folder, 'run-webgpu')), 1e-5);
    },
    240_000,
  );

  it('generate: the same greedy text as wasm', async () => {
    const texts: string[] = [];
    for (const backend of ['wasm', 'webgpu']) {
      const run = await runCommandInProcess([
        ...`generate --model ${randomModel} --backend ${backend} --schema oasst --attr humor=4 --max-tokens 24 --temperature 0 --json`.split(' '),
        'Tell me a joke.',
      ]);
      expect(run.code, run.stderr).toBe(0);
      const result = JSON.parse(run.stdout) as { backend: string; text: string };
      expect(result.backend).toBe(backend);
      texts.push(result.text);
    }
    expect(texts[0]!.length).toBeGreaterThan(10);
    expect(texts[1]).toBe(texts[0]);
  }, 120_000);

  it('export: the same files as wasm, and the export reloads to the same text', async () => {
    for (const backend of ['wasm', 'webgpu']) {
      const run = await runCommandInProcess(['export', '--model', randomModel, '--output', join(folder, `export-${backend}`), '--backend', backend, '--json']);
      expect(run.code, run.stderr).toBe(0);
    }
    for (const file of ['config.json', 'model.safetensors', 'tokenizer.json', 'onnx/model.onnx']) {
      const [wasm, webgpu] = await Promise.all(['wasm', 'webgpu'].map((backend) => readFile(join(folder, `export-${backend}`, file))));
      expect(webgpu!.equals(wasm!), file).toBe(true);
    }
    const generate = (model: string) =>
      runCommandInProcess([...`generate --model ${model} --backend webgpu --schema oasst --max-tokens 12 --temperature 0 --json`.split(' '), 'Hello']);
    const [original, reloaded] = [await generate(randomModel), await generate(join(folder, 'export-webgpu'))];
    expect(reloaded.code, reloaded.stderr).toBe(0);
    expect((JSON.parse(reloaded.stdout) as { text: string }).text).toBe((JSON.parse(original.stdout) as { text: string }).text);
  }, 120_000);

  // Both on the tfjs decode (--engine tfjs): what is compared is the backends' compute.
  it('eval and bootstrap: the same report and the same records as wasm', async () => {
    const reports: unknown[] = [];
    const records: string[] = [];
    for (const backend of ['wasm', 'webgpu']) {
      const evaluation = await runCommandInProcess(
        `eval --model ${randomModel} --scorer ${predictor} --prompts ${prompts} --grid humor=0/4 --max-tokens 8 --backend ${backend} --engine tfjs --json`.split(
          ' ',
        ),
      );
      expect(evaluation.code, evaluation.stderr).toBe(0);
      reports.push(JSON.parse(evaluation.stdout));
      const output = join(folder, `bootstrap-${backend}.jsonl`);
      const bootstrap = await runCommandInProcess(
        `bootstrap --model ${randomModel} --scorer ${predictor} --data ${data} --output ${output} --max-tokens 8 --backend ${backend} --engine tfjs --json`.split(
          ' ',
        ),
      );
      expect(bootstrap.code, bootstrap.stderr).toBe(0);
      expect(JSON.parse(bootstrap.stdout)).toMatchObject({ written: 24 });
      records.push(await readFile(output, 'utf8'));
    }
    expect(reports[1]).toEqual(reports[0]);
    expect(records[1]).toBe(records[0]);
  }, 240_000);

  it.runIf(existsSync(bin) || continuousIntegration)(
    'serve: answers the official openai client on webgpu, streaming and not, with the text generate gives',
    async () => {
      const child = spawn(process.execPath, [bin, 'serve', '--model', randomModel, '--backend', 'webgpu', '--schema', 'oasst', '--port', '0', '--json'], {
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stderr = '';
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
      try {
        const started = JSON.parse(await firstLine(child.stdout)) as { url: string; backend: string };
        expect(started.backend).toBe('webgpu');
        const client = new OpenAI({ baseURL: `${started.url}/v1`, apiKey: 'unused', maxRetries: 0 });
        const request = {
          model: 'random',
          messages: [{ role: 'user' as const, content: 'Tell me a joke.' }],
          max_tokens: 16,
          temperature: 0,
          steerlm: { attributes: { humor: 4 } },
        };
        const completion = await client.chat.completions.create(request);
        const text = completion.choices[0]!.message.content ?? '';
        expect(text.length).toBeGreaterThan(5);
        let streamed = '';
        for await (const chunk of await client.chat.completions.create({ ...request, stream: true })) streamed += chunk.choices[0]?.delta.content ?? '';
        expect(streamed).toBe(text);
        const wasm = await runCommandInProcess([
          ...`generate --model ${randomModel} --backend wasm --schema oasst --attr humor=4 --max-tokens 16 --temperature 0 --json`.split(' '),
          'Tell me a joke.',
        ]);
        expect(text).toBe((JSON.parse(wasm.stdout) as { text: string }).text);
      } finally {
        child.kill('SIGTERM');
      }
      expect(await exited).toBe(0);
      expect(stderr).not.toMatch(/error/i);
    },
    180_000,
  );

  it('demo at a reduced size: the same claims as wasm', async () => {
    const claims: Record<string, unknown>[] = [];
    for (const backend of ['wasm', 'webgpu']) {
      const output = join(folder, `demo-${backend}`);
      const run = await runCommandInProcess([
        ...`demo --json --output ${output} --seed 2 --backend ${backend}`.split(' '),
        ...TINY_DEMO_MODEL,
        ...SMALL_DEMO_STAGES,
      ]);
      expect(run.code, run.stderr).toBe(0);
      const {
        wallSeconds: _wall,
        goals,
        ...rest
      } = JSON.parse(run.stdout.trim().split('\n').at(-1)!) as Record<string, unknown> & { goals: Record<string, unknown> };
      const { wallTime: _wallTime, ...otherGoals } = goals;
      expect(rest.backend).toBe(backend);
      claims.push({ ...rest, backend: undefined, goals: otherGoals });
    }
    expect((claims[0]!.apm as { trainedOn: number }).trainedOn).toBeGreaterThan(0);
    expect(claims[1]).toEqual(claims[0]);
  }, 300_000);
});
