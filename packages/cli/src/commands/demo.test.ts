import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { STEERBENCH_SCHEMA } from '@steerlm/evaluators';
import { expect, it } from 'vitest';
import { runCommandInProcess } from './run-command-in-process';

const tiny = ['--size', '240', '--facts', '6', '--vocab-size', '400', '--hidden-size', '32', '--layers', '1', '--heads', '2', '--sft-steps', '6'];
const small = ['--bootstrap-prompts', '8', '--bootstrap-steps', '2', '--steering-prompts', '2', '--correctness-prompts', '6', '--batch-size', '16'];

it('steerlm demo --json runs every stage at a tiny size and ends with one JSON line of claims', async () => {
  const folder = await mkdtemp(join(tmpdir(), 'steerlm-demo-cli-'));
  try {
    const run = await runCommandInProcess(['demo', '--json', '--output', folder, '--seed', '2', ...tiny, ...small]);
    expect(run.code, run.stderr).toBe(0);
    const lines = run.stdout.trim().split('\n');
    const claims = JSON.parse(lines.at(-1)!) as Record<string, unknown>;
    expect(claims).toMatchObject({ seed: 2 });
    for (const key of ['apm', 'correctness', 'steering', 'bootstrap', 'wallSeconds']) expect(claims).toHaveProperty(key);
    expect(JSON.parse(await readFile(join(folder, 'steerbench-demo.json'), 'utf8'))).toMatchObject({ claims: { seed: 2 } });
    expect(await readFile(join(folder, 'steerbench-demo.html'), 'utf8')).toContain('<svg');
    // Both models are usable folders: generate answers with the conditioned one under its own schema.
    for (const model of ['conditioned-sft', 'plain-sft']) expect(existsSync(join(folder, model, 'tokenizer.json')), model).toBe(true);
    const generated = await runCommandInProcess(['generate', '--model', join(folder, 'conditioned-sft'), '--backend', 'cpu', 'Hi', '--max-tokens', '3', '--json']);
    expect(generated.code, generated.stderr).toBe(0);
    expect((JSON.parse(generated.stdout) as { label: string }).label.split(',').map((part) => part.split(':')[0])).toEqual([...STEERBENCH_SCHEMA.names]);
    expect((await runCommandInProcess(['generate', '--model', join(folder, 'plain-sft'), '--backend', 'cpu', 'Hi', '--max-tokens', '3', '--json'])).code).toBe(0);
  } finally {
    await rm(folder, { recursive: true, force: true });
  }
}, 300_000);

it('the built steerlm trains the plain baseline in a worker thread beside the conditioned run', async () => {
  const folder = await mkdtemp(join(tmpdir(), 'steerlm-demo-built-'));
  const bin = fileURLToPath(new URL('../../dist/bin.js', import.meta.url));
  try {
    const { stdout } = await promisify(execFile)(process.execPath, [bin, 'demo', '--json', '--output', folder, ...tiny, ...small], { maxBuffer: 16 * 1024 * 1024 });
    const claims = JSON.parse(stdout.trim().split('\n').at(-1)!) as { correctness: { plainSft: number } };
    expect(claims.correctness.plainSft).toBeTypeOf('number');
    // Only the worker path saves the baseline for the main thread to load.
    expect(existsSync(join(folder, 'plain-sft', 'model.safetensors'))).toBe(true);
    expect(existsSync(join(folder, 'plain-sft', 'tokenizer.json'))).toBe(true);
  } finally {
    await rm(folder, { recursive: true, force: true });
  }
}, 300_000);
