import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { link, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tinyNemoRecords, writeTinyNemoFile } from '../testing/tiny-dataset';
import { runCommandInProcess } from '../testing/run-command-in-process';

const bin = fileURLToPath(new URL('../bin.ts', import.meta.url));

let folder: string;
let predictor: string;

/** Trains a predictor with `featurizer` (apm train's default when undefined) on 24 tiny labelled records into `name` under the test folder; returns its path. */
async function trainPredictor(name: string, featurizer: string | undefined): Promise<string> {
  const labelled = await writeTinyNemoFile(join(folder, `${name}-labelled.jsonl`), 24);
  const output = join(folder, name);
  const trained = await runCommandInProcess([
    'apm',
    'train',
    '--data',
    labelled,
    '--output',
    output,
    '--schema',
    'oasst',
    ...(featurizer === undefined ? [] : ['--featurizer', featurizer]),
  ]);
  expect(trained.code).toBe(0);
  return output;
}

beforeAll(async () => {
  folder = await mkdtemp(join(tmpdir(), 'steerlm-apm-annotate-'));
  predictor = await trainPredictor('apm', 'text-statistics');
});
afterAll(async () => rm(folder, { recursive: true, force: true }));

const exists = (path: string) =>
  stat(path).then(
    () => true,
    () => false,
  );
const lineCount = async (path: string) => (await readFile(path, 'utf8').catch(() => '')).split('\n').length - 1;

/** Writes `count` NeMo records with record- and turn-level keys of their own, as NeMo's preprocessing leaves them. */
async function writeRecordsWithExtras(file: string, count: number): Promise<string> {
  const records = tinyNemoRecords(count).map((record, index) => ({
    ...record,
    source: 'oasst',
    conversations: (record.conversations as Record<string, unknown>[]).map((turn, turnIndex) => ({
      ...turn,
      message_id: `m${index}-${turnIndex}`,
      lang: 'en',
    })),
  }));
  await writeFile(file, records.map((record) => JSON.stringify(record)).join('\n') + '\n');
  return file;
}

describe('steerlm apm annotate', () => {
  it('keeps the record-level and turn-level keys of every record and replaces only the labels', async () => {
    const data = await writeRecordsWithExtras(join(folder, 'extras.jsonl'), 6);
    const output = join(folder, 'extras-annotated.jsonl');
    const run = await runCommandInProcess(['apm', 'annotate', '--model', predictor, '--data', data, '--output', output]);
    expect(run.code).toBe(0);
    const input = (await readFile(data, 'utf8'))
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    const annotated = (await readFile(output, 'utf8'))
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(annotated).toHaveLength(6);
    for (const [index, record] of annotated.entries()) {
      const original = input[index]!;
      expect(record).toMatchObject({ tree_id: original.tree_id, source: 'oasst', system: 'A chat.', mask: 'User', type: 'VALUE_TO_TEXT' });
      const turns = record.conversations as Record<string, unknown>[];
      expect(turns.map(({ label: _label, ...rest }) => rest)).toEqual(
        (original.conversations as Record<string, unknown>[]).map(({ label: _label, ...rest }) => rest),
      );
      expect(turns[0]!.label).toBeNull();
      expect(turns[1]!.label).toMatch(/^quality:\d,toxicity:\d,humor:\d,creativity:\d$/);
    }
  });

  it('trains with USE-lite (chunked) and the text statistics by default, and says which engine runs it (onnxruntime here)', async () => {
    const useLite = await trainPredictor('apm-use-lite', undefined);
    const config = JSON.parse(await readFile(join(useLite, 'config.json'), 'utf8')) as { featurizer: { id: string } };
    expect(config.featurizer.id).toBe('concat(use-lite:v1:response=2000:prompt=1000:interaction=1:chunks=450/8000|text-statistics:v1:max=8000)');
    const data = await writeTinyNemoFile(join(folder, 'use-lite-data.jsonl'), 4);
    const run = await runCommandInProcess(['apm', 'annotate', '--model', useLite, '--data', data, '--output', join(folder, 'use-lite-annotated.jsonl')]);
    expect(run.code).toBe(0);
    expect(run.stderr).toContain('USE-lite runs on onnxruntime');
    const annotated = (await readFile(join(folder, 'use-lite-annotated.jsonl'), 'utf8')).trim().split('\n');
    expect(annotated).toHaveLength(4);
    // A text-statistics predictor has nothing to say.
    const plain = await runCommandInProcess(['apm', 'annotate', '--model', predictor, '--data', data, '--output', join(folder, 'plain-annotated.jsonl')]);
    expect(plain.stderr).not.toContain('USE-lite');
  });

  it('refuses an output that is the input data file, by path or by hard link, and leaves the data intact', async () => {
    const data = await writeTinyNemoFile(join(folder, 'same.jsonl'), 6);
    const before = await readFile(data, 'utf8');
    const same = await runCommandInProcess(['apm', 'annotate', '--model', predictor, '--data', data, '--output', join(folder, '.', 'same.jsonl')]);
    expect(same.code).toBe(2);
    expect(same.stderr).toContain('is the input data file');
    await link(data, join(folder, 'same-link.jsonl'));
    const linked = await runCommandInProcess(['apm', 'annotate', '--model', predictor, '--data', data, '--output', join(folder, 'same-link.jsonl')]);
    expect(linked.code).toBe(2);
    expect(linked.stderr).toContain('is the input data file');
    expect(await readFile(data, 'utf8')).toBe(before);
  });

  it('fails before any scoring when the output cannot be written', async () => {
    const data = await writeTinyNemoFile(join(folder, 'unwritable.jsonl'), 6);
    const blocker = join(folder, 'not-a-folder');
    await writeFile(blocker, 'a file where the output folder should be');
    const run = await runCommandInProcess(['apm', 'annotate', '--model', predictor, '--data', data, '--output', join(blocker, 'out.jsonl')]);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/cannot be written: .*not-a-folder is not a folder/);
    expect(run.stderr).not.toContain('annotate: started');
    expect(run.stderr).not.toContain('this is a bug');
  });

  it('resumes after kill -9: the output appears only when complete and equals an uninterrupted run', async () => {
    const count = 20_000;
    const data = await writeTinyNemoFile(join(folder, 'many.jsonl'), count);
    const output = join(folder, 'many-annotated.jsonl');
    const partial = `${output}.partial`;
    const args = ['apm', 'annotate', '--model', predictor, '--data', data, '--output', output, '--batch-size', '1'];
    const child = spawn(process.execPath, ['--import', 'tsx', bin, ...args], { stdio: 'ignore' });
    const exited = once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
    let finished = false;
    void exited.then(() => (finished = true));
    // Kill it once it has written some records, in the middle of the scoring.
    while (!finished && (await lineCount(partial)) < 200) await new Promise((resolve) => setTimeout(resolve, 10));
    child.kill('SIGKILL');
    const [, signal] = await exited;
    expect(signal).toBe('SIGKILL');
    expect(await exists(output)).toBe(false);
    const killedAt = await lineCount(partial);
    expect(killedAt).toBeGreaterThanOrEqual(200);
    expect(killedAt).toBeLessThan(count);

    const resumed = await runCommandInProcess([...args, '--json']);
    expect(resumed.code).toBe(0);
    const result = JSON.parse(resumed.stdout) as { records: number; resumed: number };
    expect(result.records).toBe(count);
    expect(result.resumed).toBeGreaterThanOrEqual(killedAt - 1);
    expect(await exists(partial)).toBe(false);

    const reference = join(folder, 'many-reference.jsonl');
    expect((await runCommandInProcess(['apm', 'annotate', '--model', predictor, '--data', data, '--output', reference, '--batch-size', '7'])).code).toBe(0);
    expect(await readFile(output, 'utf8')).toBe(await readFile(reference, 'utf8'));
  });

  it('refuses to resume from a partial file written from other data', async () => {
    const data = await writeTinyNemoFile(join(folder, 'other.jsonl'), 6);
    const output = join(folder, 'other-annotated.jsonl');
    const stale = tinyNemoRecords(2).map((record) => ({ ...record, system: 'Another system prompt.' }));
    await writeFile(`${output}.partial`, stale.map((record) => JSON.stringify(record)).join('\n') + '\n');
    const run = await runCommandInProcess(['apm', 'annotate', '--model', predictor, '--data', data, '--output', output]);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('was written from other data');
    expect(await exists(output)).toBe(false);
  });
});
