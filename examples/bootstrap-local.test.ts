import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { OASST, validateNemoRecord } from '@steerlm/core';
import { afterAll, beforeAll, expect, it } from 'vitest';

const here = fileURLToPath(new URL('.', import.meta.url));
const run = promisify(execFile);
let directory: string;

beforeAll(async () => {
  directory = await mkdtemp(join(tmpdir(), 'bootstrap-local-'));
});
afterAll(() => rm(directory, { recursive: true, force: true }));

it('bootstrap-local writes re-annotated NeMo records and resumes without redoing them', async () => {
  const output = join(directory, 'out.jsonl');
  const args = ['--import', 'tsx', 'bootstrap-local.ts', '--output', output, '--prompts', '4', '--samples', '2', '--seed', '3'];
  const first = await run(process.execPath, args, { cwd: here });
  expect(JSON.parse(first.stdout)).toMatchObject({ combinations: 4, written: 8, resumed: 0, total: 8 });
  expect(first.stderr).toMatch(/bootstrap 8\/8 [\d.]+ samples\/s eta 0s/);
  const records = (await readFile(output, 'utf8'))
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line));
  expect(records).toHaveLength(8);
  for (const record of records) {
    validateNemoRecord(record, { schema: OASST });
    expect(record).toMatchObject({ type: 'VALUE_TO_TEXT', mask: 'User', conversations: [{ from: 'User' }, { from: 'Assistant' }] });
    expect(record.requested_label).toMatch(/^quality:4,/);
  }
  const second = await run(process.execPath, args, { cwd: here });
  expect(JSON.parse(second.stdout)).toMatchObject({ written: 0, resumed: 8 });
});
