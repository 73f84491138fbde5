import { copyFile, cp, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tinyNemoRecords, writeTinyNemoFile } from '../testing/tiny-dataset';
import { runCommandInProcess } from '../testing/run-command-in-process';
import { tinySftTrainArgs } from '../testing/tiny-sft-args';

let folder: string;
let data: string;
/** The first run (2 steps, a checkpoint each step): what the resume and export tests start from, in any order. */
let first: { output: string; summary: { steps: number; finalLoss: number; final: string; backend: string; precision: unknown } };
const common = (output: string, seed = 0) => tinySftTrainArgs(data, output, `--batch-size 4 --backend cpu --checkpoint-every 1 --seed ${seed}`);

/** Returns the loss of each step in a run's metrics.jsonl (the last line for a step wins). */
async function stepLosses(output: string): Promise<Map<number, number>> {
  const losses = new Map<number, number>();
  for (const line of (await readFile(join(output, 'metrics.jsonl'), 'utf8')).trim().split('\n')) {
    const row = JSON.parse(line) as { step: number; loss?: number };
    if (row.loss !== undefined) losses.set(row.step, row.loss);
  }
  return losses;
}

beforeAll(async () => {
  folder = await mkdtemp(join(tmpdir(), 'steerlm-sft-cli-'));
  data = await writeTinyNemoFile(join(folder, 'train.jsonl'), 12);
  const output = join(folder, 'run');
  const run = await runCommandInProcess([...common(output), '--max-steps', '2', '--json']);
  expect(run.stderr).toBe('');
  expect(run.code).toBe(0);
  first = { output, summary: JSON.parse(run.stdout) as typeof first.summary };
});
afterAll(async () => rm(folder, { recursive: true, force: true }));

describe('steerlm sft train', () => {
  it('trains a tiny model from scratch and the result generates', async () => {
    const { summary } = first;
    expect(summary).toMatchObject({ steps: 2, backend: 'cpu', final: join(first.output, 'final'), precision: { requested: 'f32', used: 'f32' } });
    expect(Number.isFinite(summary.finalLoss)).toBe(true);
    expect(await readdir(summary.final)).toEqual(expect.arrayContaining(['config.json', 'model.safetensors', 'tokenizer.json', 'steerlm.json']));
    // No --schema: the folder's steerlm.json says the model was trained on the four OASST attributes.
    const generated = await runCommandInProcess([
      'generate',
      '--model',
      summary.final,
      '--backend',
      'cpu',
      'Tell me a joke.',
      '--attr',
      'humor=4',
      '--max-tokens',
      '6',
      '--temperature',
      '0',
      '--json',
    ]);
    expect(generated.code).toBe(0);
    expect(JSON.parse(generated.stdout)).toMatchObject({ backend: 'cpu', label: 'quality:4,toxicity:0,humor:4,creativity:0' });
  });

  it('--resume continues from the checkpoint, not from the base model', async () => {
    // Two copies of the first run; in one the base model is replaced by a model with another seed. A
    // resume that loaded the checkpoint trains the same step 3 in both; one that ignored it would not.
    const original = join(folder, 'resumed-original');
    const replaced = join(folder, 'resumed-replaced');
    await cp(first.output, original, { recursive: true });
    await cp(first.output, replaced, { recursive: true });
    const other = join(folder, 'other-seed');
    expect((await runCommandInProcess([...common(other, 7), '--max-steps', '1'])).code).toBe(0);
    await copyFile(join(other, 'base', 'model.safetensors'), join(replaced, 'base', 'model.safetensors'));
    const firstLosses = await stepLosses(first.output);
    expect([...firstLosses.keys()]).toEqual([1, 2]);
    const otherLosses = await stepLosses(other);
    expect(Math.abs(otherLosses.get(1)! - firstLosses.get(1)!)).toBeGreaterThan(1e-3);

    const losses: Map<number, number>[] = [];
    for (const output of [original, replaced]) {
      const resumed = await runCommandInProcess([...common(output), '--max-steps', '3', '--resume']);
      expect(resumed.code).toBe(0);
      expect(resumed.stderr).toContain('backend cpu');
      expect(resumed.stdout).toMatch(/steps[\s\S]*\n\s*3\s/);
      losses.push(await stepLosses(output));
    }
    for (const resumed of losses) {
      expect([...resumed.keys()]).toEqual([1, 2, 3]);
      // Steps 1 and 2 are the first run's (not trained again), step 3 the same whatever the base holds.
      for (const step of [1, 2]) expect(resumed.get(step)).toBe(firstLosses.get(step));
      expect(Math.abs(resumed.get(3)! - losses[0]!.get(3)!)).toBeLessThan(1e-6);
    }
  });

  it('export writes a Hugging Face folder with ONNX beside it', async () => {
    const trained = first.summary.final;
    const output = join(folder, 'exported');
    const run = await runCommandInProcess(['export', '--model', trained, '--output', output, '--backend', 'cpu', '--dtype', 'F16']);
    expect(run.code).toBe(0);
    // steerlm.json (the schema and template) travels with the export.
    for (const file of [
      'config.json',
      'generation_config.json',
      'model.safetensors',
      'steerlm.json',
      'tokenizer.json',
      'tokenizer_config.json',
      'onnx/model.onnx',
    ]) {
      expect(run.stdout).toContain(file);
    }
    const hfOnly = await runCommandInProcess([
      'export',
      '--model',
      trained,
      '--output',
      join(folder, 'hf-only'),
      '--format',
      'hf',
      '--backend',
      'cpu',
      '--json',
    ]);
    expect(hfOnly.code).toBe(0);
    expect((JSON.parse(hfOnly.stdout) as { files: string[] }).files).not.toContain('onnx/model.onnx');
  });

  it('a flag overrides the schema the model folder records', async () => {
    const overridden = await runCommandInProcess([
      'generate',
      '--model',
      first.summary.final,
      '--backend',
      'cpu',
      '--schema',
      'steerlm',
      'Hi',
      '--max-tokens',
      '2',
      '--json',
    ]);
    expect(overridden.code, overridden.stderr).toBe(0);
    expect((JSON.parse(overridden.stdout) as { label: string }).label.split(',')).toHaveLength(9);
  });

  it('bootstrap skips a prompt beyond the model positions, or cuts it from the left with --long-prompts truncate-left', async () => {
    const trained = first.summary.final;
    const records = tinyNemoRecords(6);
    // One prompt far beyond the 512 positions of --init tiny (a few characters a token).
    const long = {
      ...records[0]!,
      conversations: [
        { from: 'User', value: `${'Tell me everything about cats and dogs. '.repeat(120)}Why?`, label: null },
        (records[0]!.conversations as unknown[])[1],
      ],
    };
    const data = join(folder, 'with-long.jsonl');
    await writeFile(data, [...records, long].map((record) => JSON.stringify(record)).join('\n') + '\n');
    const scorer = join(folder, 'apm');
    expect((await runCommandInProcess(['apm', 'train', '--data', data, '--output', scorer, '--schema', 'oasst', '--featurizer', 'text-statistics'])).code).toBe(
      0,
    );
    const common = ['bootstrap', '--model', trained, '--backend', 'cpu', '--scorer', scorer, '--data', data, '--max-tokens', '3'];
    const skipped = await runCommandInProcess([...common, '--output', join(folder, 'skip.jsonl'), '--json']);
    expect(skipped.code, skipped.stderr).toBe(0);
    expect(JSON.parse(skipped.stdout)).toMatchObject({ written: 6, total: 7, skipped: 1, truncated: 0, skippedPromptIds: ['6'] });
    const human = await runCommandInProcess([...common, '--output', join(folder, 'skip-again.jsonl')]);
    expect(human.stderr).toContain("skipped 1 prompt beyond the model's context (ids 6): pass --long-prompts truncate-left");
    const cut = await runCommandInProcess([...common, '--output', join(folder, 'cut.jsonl'), '--long-prompts', 'truncate-left', '--json']);
    expect(cut.code, cut.stderr).toBe(0);
    expect(JSON.parse(cut.stdout)).toMatchObject({ written: 7, skipped: 0, truncated: 1 });
    const lines = (await readFile(join(folder, 'cut.jsonl'), 'utf8'))
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { prompt_id: string; conversations: { value: string }[] });
    expect(lines.find((line) => line.prompt_id === '6')!.conversations[0]!.value.endsWith('cats and dogs. Why?')).toBe(true);
  }, 120_000);

  it('--precision mixed trains in f32 off webgpu and says why (summary and a warning)', async () => {
    const json = await runCommandInProcess([...common(join(folder, 'mixed-on-cpu')), '--max-steps', '1', '--precision', 'mixed', '--json']);
    expect(json.code).toBe(0);
    expect(JSON.parse(json.stdout)).toMatchObject({ steps: 1, precision: { requested: 'mixed', used: 'f32', reason: expect.stringMatching(/webgpu/) } });
    // Without --json: the warning on stderr and the precision column in the table.
    const run = await runCommandInProcess([...common(join(folder, 'mixed-on-cpu-text')), '--max-steps', '1', '--precision', 'mixed']);
    expect(run.code).toBe(0);
    expect(run.stderr).toMatch(/precision mixed: .*webgpu/);
    expect(run.stdout).toMatch(/precision/);
    const refused = await runCommandInProcess([...common(join(folder, 'mixed-steerlm2')), '--objective', 'steerlm2', '--precision', 'mixed']);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toMatch(/--precision mixed trains conditioned SFT/);
  });

  it('needs exactly one of --model and --init, and a run to resume', async () => {
    const small = await writeTinyNemoFile(join(folder, 'small.jsonl'), 2);
    const neither = await runCommandInProcess(['sft', 'train', '--data', small, '--output', join(folder, 'x'), '--backend', 'cpu']);
    expect(neither.code).toBe(2);
    expect(neither.stderr).toContain('give exactly one of --model FOLDER');
    const nothing = await runCommandInProcess([
      'sft',
      'train',
      '--data',
      small,
      '--init',
      'tiny',
      '--output',
      join(folder, 'none'),
      '--resume',
      '--backend',
      'cpu',
    ]);
    expect(nothing.code).toBe(2);
    expect(nothing.stderr).toContain('holds no model');
  });

  it('--workers 2 trains the same losses as one thread, on data-parallel worker threads', async () => {
    const output = join(folder, 'workers');
    const run = await runCommandInProcess([...common(output), '--max-steps', '2', '--workers', '2', '--json']);
    expect(run.code, run.stderr).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({ steps: 2, backend: 'cpu', completed: true, workers: 2 });
    const [one, two] = [await stepLosses(first.output), await stepLosses(output)];
    expect([...two.keys()]).toEqual([1, 2]);
    for (const [step, loss] of one) expect(Math.abs(loss - two.get(step)!) / loss, `step ${step}`).toBeLessThan(1e-5);
    expect(await readdir(join(output, 'final'))).toContain('model.safetensors');
  }, 60_000);

  it('--host-matmul backend trains the same losses on wasm as the default (MLAS), and holds for that command only', async () => {
    const sft = await import('@steerlm/sft');
    const losses: Map<number, number>[] = [];
    for (const [name, flag] of [
      ['mlas', ''],
      ['xnnpack', '--host-matmul backend'],
    ] as const) {
      const output = join(folder, `host-matmul-${name}`);
      const run = await runCommandInProcess([
        ...tinySftTrainArgs(data, output, `--batch-size 4 --backend wasm --seed 3 ${flag}`),
        '--max-steps',
        '2',
        '--json',
      ]);
      expect(run.code, run.stderr).toBe(0);
      expect(JSON.parse(run.stdout)).toMatchObject({ steps: 2, backend: 'wasm' });
      expect(sft.hostMatmulEngine()).toBe('mlas');
      losses.push(await stepLosses(output));
    }
    expect([...losses[0]!.keys()]).toEqual([1, 2]);
    for (const [step, loss] of losses[0]!) expect(Math.abs(loss - losses[1]!.get(step)!) / loss, `step ${step}`).toBeLessThan(1e-4);
  }, 60_000);
});
