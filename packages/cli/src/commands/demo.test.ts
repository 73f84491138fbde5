import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { runCommandInProcess } from './run-command-in-process';

it('steerlm demo --json runs every stage at a tiny size and ends with one JSON line of claims', async () => {
  const folder = await mkdtemp(join(tmpdir(), 'steerlm-demo-cli-'));
  try {
    const tiny = ['--size', '240', '--facts', '6', '--vocab-size', '400', '--hidden-size', '32', '--layers', '1', '--heads', '2', '--sft-steps', '6'];
    const run = await runCommandInProcess(['demo', '--json', '--output', folder, '--seed', '2', ...tiny, '--bootstrap-prompts', '8', '--bootstrap-steps', '2', '--steering-prompts', '2', '--correctness-prompts', '6', '--batch-size', '16']);
    expect(run.code, run.stderr).toBe(0);
    const lines = run.stdout.trim().split('\n');
    const claims = JSON.parse(lines.at(-1)!) as Record<string, unknown>;
    expect(claims).toMatchObject({ seed: 2 });
    for (const key of ['apm', 'correctness', 'steering', 'bootstrap', 'wallSeconds']) expect(claims).toHaveProperty(key);
    expect(JSON.parse(await readFile(join(folder, 'steerbench-demo.json'), 'utf8'))).toMatchObject({ claims: { seed: 2 } });
    expect(await readFile(join(folder, 'steerbench-demo.html'), 'utf8')).toContain('<svg');
  } finally {
    await rm(folder, { recursive: true, force: true });
  }
}, 300_000);
