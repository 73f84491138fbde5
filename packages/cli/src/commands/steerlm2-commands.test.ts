import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { validateSteerLM2Record } from '@steerlm/core';
import { writeTinyNemoFile } from '../testing/tiny-dataset';
import { runCommandInProcess } from '../testing/run-command-in-process';
import { tinySftTrainArgs } from '../testing/tiny-sft-args';

let folder: string;
beforeAll(async () => {
  folder = await mkdtemp(join(tmpdir(), 'steerlm-steerlm2-cli-'));
});
afterAll(async () => rm(folder, { recursive: true, force: true }));

describe('SteerLM 2.0 from the command line', () => {
  it('bootstrap --steerlm2 writes NeMo-layout records that sft train --objective steerlm2 trains on', async () => {
    const data = await writeTinyNemoFile(join(folder, 'labelled.jsonl'), 6);
    const sft = await runCommandInProcess(tinySftTrainArgs(data, join(folder, 'sft'), '--max-steps 1 --backend cpu --json'));
    expect(sft.code).toBe(0);
    const model = (JSON.parse(sft.stdout) as { final: string }).final;
    const apm = join(folder, 'apm');
    expect((await runCommandInProcess(['apm', 'train', '--data', data, '--output', apm, '--schema', 'oasst', '--featurizer', 'text-statistics'])).code).toBe(0);

    const output = join(folder, 'steerlm2.jsonl');
    const bootstrap = ['bootstrap', '--steerlm2', '--model', model, '--scorer', apm, '--data', data, '--output', output, '--backend', 'cpu'];
    const tooFew = await runCommandInProcess(bootstrap);
    expect(tooFew.code).toBe(2);
    expect(tooFew.stderr).toContain('--samples 2 or more');
    const generated = await runCommandInProcess([...bootstrap, '--samples', '2', '--max-tokens', '6', '--json']);
    expect(generated.stderr).toBe('');
    expect(generated.code).toBe(0);
    expect(JSON.parse(generated.stdout)).toMatchObject({ written: 6, resumed: 0, total: 6, steerlm2: true });
    const records = (await readFile(output, 'utf8'))
      .trim()
      .split('\n')
      .map((line) => validateSteerLM2Record(JSON.parse(line)));
    expect(records).toHaveLength(6);
    for (const record of records) {
      expect(record.responses).toHaveLength(2);
      expect(record.label).toMatch(/^quality:\d/);
    }

    const run = join(folder, 'steerlm2-run');
    const trained = await runCommandInProcess([
      ...`sft train --objective steerlm2 --data ${output} --model ${model} --output ${run}`.split(' '),
      ...'--batch-size 2 --max-steps 2 --schema oasst --backend cpu --json'.split(' '),
    ]);
    expect(trained.stderr).toBe('');
    expect(trained.code).toBe(0);
    const summary = JSON.parse(trained.stdout) as {
      objective: string;
      steps: number;
      records: number;
      responses: number;
      finalLoss: number;
      finalKlDivergence: number;
      final: string;
    };
    expect(summary).toMatchObject({ objective: 'steerlm2', steps: 2, records: 6, responses: 12, final: join(run, 'final') });
    expect(Number.isFinite(summary.finalLoss)).toBe(true);
    expect(summary.finalKlDivergence).toBeGreaterThanOrEqual(0);
    expect(await readdir(summary.final)).toEqual(expect.arrayContaining(['config.json', 'model.safetensors', 'tokenizer.json']));
    const metrics = (await readFile(join(run, 'metrics.jsonl'), 'utf8'))
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { step: number; klDivergence: number });
    expect(metrics.map((row) => row.step)).toEqual([1, 2]);

    const wrong = await runCommandInProcess(
      `sft train --objective steerlm2 --data ${output} --init tiny --output ${join(folder, 'x')} --backend cpu`.split(' '),
    );
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toContain('give --model FOLDER');
  }, 240_000);
});
