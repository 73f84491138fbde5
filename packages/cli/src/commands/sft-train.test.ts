import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tinyNemoRecords, writeTinyNemoFile } from '../testing/tiny-dataset';
import { runCommandInProcess } from './run-command-in-process';

let folder: string;
let trained: string | undefined;
beforeAll(async () => {
  folder = await mkdtemp(join(tmpdir(), 'steerlm-sft-cli-'));
});
afterAll(async () => rm(folder, { recursive: true, force: true }));

describe('steerlm sft train', () => {
  it('trains a tiny model from scratch, resumes it, and the result generates', async () => {
    const data = await writeTinyNemoFile(join(folder, 'train.jsonl'), 12);
    const output = join(folder, 'run');
    const common = ['sft', 'train', '--data', data, '--init', 'tiny', '--vocab-size', '300', '--output', output, '--batch-size', '4', '--backend', 'cpu', '--schema', 'oasst', '--checkpoint-every', '1'];
    const first = await runCommandInProcess([...common, '--max-steps', '2', '--json']);
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    const summary = JSON.parse(first.stdout) as { steps: number; finalLoss: number; final: string; backend: string };
    expect(summary).toMatchObject({ steps: 2, backend: 'cpu', final: join(output, 'final') });
    expect(Number.isFinite(summary.finalLoss)).toBe(true);
    expect(await readdir(summary.final)).toEqual(expect.arrayContaining(['config.json', 'model.safetensors', 'tokenizer.json', 'steerlm.json']));

    const resumed = await runCommandInProcess([...common, '--max-steps', '3', '--resume']);
    expect(resumed.code).toBe(0);
    expect(resumed.stderr).toContain('backend cpu');
    expect(resumed.stdout).toMatch(/steps[\s\S]*\n\s*3\s/);

    // No --schema: the folder's steerlm.json says the model was trained on the four OASST attributes.
    const generated = await runCommandInProcess(['generate', '--model', summary.final, '--backend', 'cpu', 'Tell me a joke.', '--attr', 'humor=4', '--max-tokens', '6', '--temperature', '0', '--json']);
    expect(generated.code, generated.stderr).toBe(0);
    expect(JSON.parse(generated.stdout)).toMatchObject({ backend: 'cpu', label: 'quality:4,toxicity:0,humor:4,creativity:0' });
    // A flag still overrides it.
    const overridden = await runCommandInProcess(['generate', '--model', summary.final, '--backend', 'cpu', '--schema', 'steerlm', 'Hi', '--max-tokens', '2', '--json']);
    expect((JSON.parse(overridden.stdout) as { label: string }).label.split(',')).toHaveLength(9);
    trained = summary.final;
  });

  it('export writes a Hugging Face folder with ONNX beside it', async () => {
    expect(trained).toBeDefined();
    const output = join(folder, 'exported');
    const run = await runCommandInProcess(['export', '--model', trained!, '--output', output, '--backend', 'cpu', '--dtype', 'F16']);
    expect(run.code).toBe(0);
    for (const file of ['config.json', 'generation_config.json', 'model.safetensors', 'tokenizer.json', 'tokenizer_config.json', 'onnx/model.onnx']) {
      expect(run.stdout).toContain(file);
    }
    const hfOnly = await runCommandInProcess(['export', '--model', trained!, '--output', join(folder, 'hf-only'), '--format', 'hf', '--backend', 'cpu', '--json']);
    expect(hfOnly.code).toBe(0);
    expect((JSON.parse(hfOnly.stdout) as { files: string[] }).files).not.toContain('onnx/model.onnx');
  });

  it('bootstrap skips a prompt beyond the model positions, or cuts it from the left with --long-prompts truncate-left', async () => {
    expect(trained).toBeDefined();
    const records = tinyNemoRecords(6);
    // One prompt far beyond the 512 positions of --init tiny (a few characters a token).
    const long = { ...records[0]!, conversations: [{ from: 'User', value: `${'Tell me everything about cats and dogs. '.repeat(120)}Why?`, label: null }, (records[0]!.conversations as unknown[])[1]] };
    const data = join(folder, 'with-long.jsonl');
    await writeFile(data, [...records, long].map((record) => JSON.stringify(record)).join('\n') + '\n');
    const scorer = join(folder, 'apm');
    expect((await runCommandInProcess(['apm', 'train', '--data', data, '--output', scorer, '--schema', 'oasst', '--featurizer', 'text-statistics'])).code).toBe(0);
    const common = ['bootstrap', '--model', trained!, '--backend', 'cpu', '--scorer', scorer, '--data', data, '--max-tokens', '3'];
    const skipped = await runCommandInProcess([...common, '--output', join(folder, 'skip.jsonl'), '--json']);
    expect(skipped.code, skipped.stderr).toBe(0);
    expect(JSON.parse(skipped.stdout)).toMatchObject({ written: 6, total: 7, skipped: 1, truncated: 0, skippedPromptIds: ['6'] });
    const human = await runCommandInProcess([...common, '--output', join(folder, 'skip-again.jsonl')]);
    expect(human.stderr).toContain('skipped 1 prompt beyond the model\'s context (ids 6): pass --long-prompts truncate-left');
    const cut = await runCommandInProcess([...common, '--output', join(folder, 'cut.jsonl'), '--long-prompts', 'truncate-left', '--json']);
    expect(cut.code, cut.stderr).toBe(0);
    expect(JSON.parse(cut.stdout)).toMatchObject({ written: 7, skipped: 0, truncated: 1 });
    const lines = (await readFile(join(folder, 'cut.jsonl'), 'utf8')).trim().split('\n').map((line) => JSON.parse(line) as { prompt_id: string; conversations: { value: string }[] });
    expect(lines.find((line) => line.prompt_id === '6')!.conversations[0]!.value.endsWith('cats and dogs. Why?')).toBe(true);
  }, 120_000);

  it('needs exactly one of --model and --init, and a run to resume', async () => {
    const data = await writeTinyNemoFile(join(folder, 'small.jsonl'), 2);
    const neither = await runCommandInProcess(['sft', 'train', '--data', data, '--output', join(folder, 'x'), '--backend', 'cpu']);
    expect(neither.code).toBe(2);
    expect(neither.stderr).toContain('give exactly one of --model FOLDER');
    const nothing = await runCommandInProcess(['sft', 'train', '--data', data, '--init', 'tiny', '--output', join(folder, 'none'), '--resume', '--backend', 'cpu']);
    expect(nothing.code).toBe(2);
    expect(nothing.stderr).toContain('holds no model');
  });
});
