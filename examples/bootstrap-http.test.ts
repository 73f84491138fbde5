import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { OASST, steerlmTemplate, validateNemoRecord } from '@steerlm/core';
import { createCharacterNGramModel, startTestServer, type TestServer } from '@steerlm/test-server';
import { afterAll, beforeAll, expect, it } from 'vitest';

const here = fileURLToPath(new URL('.', import.meta.url));
const run = promisify(execFile);
let server: TestServer;
let directory: string;

beforeAll(async () => {
  const texts = [
    {
      turns: [
        { role: 'user' as const, text: 'What do cats like?' },
        { role: 'assistant' as const, text: 'Naps and toys.', attributes: { quality: 4, toxicity: 0, humor: 1, creativity: 2 } },
      ],
    },
    {
      turns: [
        { role: 'user' as const, text: 'Tell me a joke.' },
        { role: 'assistant' as const, text: 'A cat, a mat, a hat!', attributes: { quality: 4, toxicity: 0, humor: 4, creativity: 3 } },
      ],
    },
  ].map((conversation) => steerlmTemplate.render(conversation, { schema: OASST }) + '<extra_id_1>');
  server = await startTestServer({ model: createCharacterNGramModel({ texts, order: 6, modelId: 'served-steerlm' }) });
  directory = await mkdtemp(join(tmpdir(), 'bootstrap-http-'));
});
afterAll(async () => {
  await server.close();
  await rm(directory, { recursive: true, force: true });
});

it('bootstrap-http bootstraps through an endpoint given by flag, riding out 429s and 500s', async () => {
  server.faults.failNext(2, 429, 0).failNext(1, 500);
  const output = join(directory, 'bootstrap.jsonl');
  const { stdout } = await run(
    process.execPath,
    [
      '--import',
      'tsx',
      'bootstrap-http.ts',
      '--base-url',
      `${server.url}/v1`,
      '--model',
      'served-steerlm',
      '--output',
      output,
      '--prompts',
      '3',
      '--samples',
      '2',
    ],
    { cwd: here },
  );
  // A sample that ends at once (the served model wrote a control token first) is left out and counted.
  const summary = JSON.parse(stdout) as { written: number; emptyResponses: number };
  expect(summary).toMatchObject({ mode: 'bootstrap', baseURL: `${server.url}/v1`, written: 5, emptyResponses: 1, total: 6 });
  expect(server.faults.pending).toBe(0);
  const records = (await readFile(output, 'utf8'))
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line));
  expect(records).toHaveLength(5);
  for (const record of records) validateNemoRecord(record, { schema: OASST });
});

it('bootstrap-http writes SteerLM 2.0 records from an endpoint given by environment variables', async () => {
  const output = join(directory, 'steerlm2.jsonl');
  const { stdout } = await run(
    process.execPath,
    ['--import', 'tsx', 'bootstrap-http.ts', '--steerlm2', '--output', output, '--prompts', '2', '--samples', '3'],
    {
      cwd: here,
      env: { ...process.env, STEERLM_BASE_URL: server.url, STEERLM_MODEL: 'served-steerlm' },
    },
  );
  const summary = JSON.parse(stdout) as { emptyResponses: number };
  expect(summary).toMatchObject({ mode: 'steerlm2', written: 2, total: 2 });
  const records = (await readFile(output, 'utf8'))
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line));
  expect(records).toHaveLength(2);
  // Empty samples are left out of a prompt's responses and counted.
  expect(summary.emptyResponses).toBe(1);
  expect(records.map((record) => record.responses.length).sort()).toEqual([2, 3]);
  for (const record of records) {
    for (const response of record.responses) {
      for (const key of ['log(P(a|x,y))', 'log(P(y|x))', 'log(Q(y|a,x))']) expect(Number.isFinite(response[key])).toBe(true);
    }
  }
});

it('bootstrap-http serves a tiny model itself when no endpoint is given', async () => {
  const output = join(directory, 'demo.jsonl');
  const { stdout, stderr } = await run(process.execPath, ['--import', 'tsx', 'bootstrap-http.ts', '--output', output, '--prompts', '2', '--samples', '1'], {
    cwd: here,
    env: { ...process.env, STEERLM_BASE_URL: '', STEERLM_MODEL: '' },
  });
  expect(stderr).toMatch(/serving a tiny model at http:\/\/127\.0\.0\.1:\d+/);
  expect(JSON.parse(stdout)).toMatchObject({ written: 2 });
});
