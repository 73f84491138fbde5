import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DataFormatError, DEFAULT_SYSTEM_PROMPT, STEERLM } from '@steerlm/core';
import { parquetWriteBuffer } from 'hyparquet-writer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { convertDataFile, type ConvertDataOptions } from './convert-data-file';

const fixtures = fileURLToPath(new URL('./fixtures/', import.meta.url));
let folder: string;
beforeAll(async () => {
  folder = await mkdtemp(join(tmpdir(), 'steerlm-convert-'));
});
afterAll(async () => {
  await rm(folder, { recursive: true, force: true });
});

async function lines(path: string): Promise<Record<string, unknown>[]> {
  return (await readFile(path, 'utf8'))
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

function convert(input: string, output: string, options: Partial<ConvertDataOptions> = {}) {
  return convertDataFile({ input: join(fixtures, input), output: join(folder, output), format: 'oasst1', to: 'nemo', schema: STEERLM, ...options });
}

describe('convertDataFile from oasst1 messages', () => {
  it("writes NeMo-Aligner's records: one per thread of two turns or more, binned labels, an empty label where none is kept, tree ids", async () => {
    const summary = await convert('oasst-messages.jsonl', 'oasst.jsonl');
    const records = await lines(join(folder, 'oasst.jsonl'));
    expect(records).toHaveLength(7);
    expect(summary).toMatchObject({ records: 7, conversations: 7, labelledResponses: 7, trees: 4, orphaned: 1, excluded: 0, read: 14, skipped: 0 });
    expect(records[0]).toEqual({
      system: DEFAULT_SYSTEM_PROMPT,
      mask: 'User',
      type: 'VALUE_TO_TEXT',
      conversations: [
        { from: 'User', value: 'What is 2+2?', label: null },
        { from: 'Assistant', value: '4', label: 'quality:3,toxicity:0,humor:1,creativity:2' },
        { from: 'User', value: 'And 3+3?', label: null },
        { from: 'Assistant', value: '6', label: 'quality:4' },
      ],
      tree_id: 'a',
    });
    expect(records.map((record) => (record['conversations'] as { value: string }[]).map((turn) => turn.value).join(' | '))).toEqual([
      'What is 2+2? | 4 | And 3+3? | 6',
      'What is 2+2? | 4 | And 4+4?',
      'What is 2+2? | Four.',
      'Tell me a joke. | Why did the chicken cross the road?',
      'Tell me a joke. | Knock knock.',
      'Tell me a joke. | Knock knock.',
      'Hallo, wie geht es dir? | Gut, danke!',
    ]);
    // a3 carries only helpfulness, which NeMo's OPEN_ASSISTANT_ATTRIBUTES leave out: NeMo writes "".
    expect((records[2]!['conversations'] as { label: string | null }[])[1]!.label).toBe('');
    // b4's humor 0.625 is 2.5 on 0..4: ties go to even, as Python's round.
    expect((records[5]!['conversations'] as { label: string | null }[])[1]!.label).toBe('humor:2');
  });

  it('reads the .gz export as it streams, and the parquet rows, to the same bytes', async () => {
    await convert('oasst-messages.jsonl', 'plain.jsonl');
    await convert('oasst-messages.jsonl.gz', 'gzipped.jsonl');
    await convert('oasst-messages.parquet', 'parquet.jsonl');
    const plain = await readFile(join(folder, 'plain.jsonl'), 'utf8');
    expect(await readFile(join(folder, 'gzipped.jsonl'), 'utf8')).toBe(plain);
    expect(await readFile(join(folder, 'parquet.jsonl'), 'utf8')).toBe(plain);
  });

  it('names the parquet row of a bad oasst1 message', async () => {
    const input = join(folder, 'bad-oasst.parquet');
    const roles = ['prompter', 'assistant', 'robot'];
    const text = (values: readonly (string | null)[]) => ({ type: 'STRING' as const, data: values as never });
    await writeFile(
      input,
      new Uint8Array(
        parquetWriteBuffer({
          columnData: [
            { name: 'message_id', ...text(['m1', 'm2', 'm3']) },
            { name: 'parent_id', ...text([null, 'm1', 'm2']) },
            { name: 'message_tree_id', ...text(['t', 't', 't']) },
            { name: 'role', ...text(roles) },
            { name: 'text', ...text(['hi', 'hello', 'beep']) },
          ],
        }),
      ),
    );
    await expect(convertDataFile({ input, output: join(folder, 'bad-oasst.jsonl'), format: 'oasst1', to: 'nemo', schema: STEERLM })).rejects.toThrow(
      /bad-oasst\.parquet:3, field "role": expected "prompter" or "assistant", got "robot"/,
    );
    // Rows not grouped by tree: a first pass over the tree ids finds it and the rows are read buffered.
    const ungrouped = join(folder, 'ungrouped.parquet');
    await writeFile(
      ungrouped,
      new Uint8Array(
        parquetWriteBuffer({
          columnData: [
            { name: 'message_id', ...text(['u1', 'v1', 'u2']) },
            { name: 'parent_id', ...text([null, null, 'u1']) },
            { name: 'message_tree_id', ...text(['u', 'v', 'u']) },
            { name: 'role', ...text(['prompter', 'prompter', 'assistant']) },
            { name: 'text', ...text(['hi', 'alone', 'hello']) },
          ],
        }),
      ),
    );
    await expect(readFile(join(folder, 'bad-oasst.jsonl.partial'))).rejects.toThrow(/ENOENT/);
    const summary = await convertDataFile({ input: ungrouped, output: join(folder, 'ungrouped.jsonl'), format: 'oasst1', to: 'nemo', schema: STEERLM });
    expect(summary).toMatchObject({ records: 1, trees: 2 });
  });

  it("follows core's reader options: deleted messages, review, language, every schema label", async () => {
    const count = async (oasst: ConvertDataOptions['oasst'], name: string) => (await convert('oasst-messages.jsonl', name, { oasst })).records;
    expect(await count({ includeDeleted: false }, 'no-deleted.jsonl')).toBe(6);
    expect(await count({ requireReviewPassed: true }, 'reviewed.jsonl')).toBe(6);
    expect(await count({ languages: ['de'] }, 'de.jsonl')).toBe(1);
    await convert('oasst-messages.jsonl', 'schema-labels.jsonl', { oasst: { labelNames: 'schema' } });
    const records = await lines(join(folder, 'schema-labels.jsonl'));
    expect((records[2]!['conversations'] as { label: string | null }[])[1]!.label).toBe('helpfulness:2');
  });

  it('writes regression records as process_to_regression_format.py, once per thread unless unique', async () => {
    const all = await convert('oasst-messages.jsonl', 'regression.jsonl', { to: 'regression' });
    const unique = await convert('oasst-messages.jsonl', 'regression-unique.jsonl', { to: 'regression', unique: true });
    expect(all.records).toBe(7);
    expect(unique.records).toBe(6);
    const [first] = await lines(join(folder, 'regression.jsonl'));
    expect(first!['label']).toEqual([3, 0, 1, 2, -100, -100, -100, -100, -100]);
    expect(first!['text']).toMatch(/^<extra_id_0>System\n.*<extra_id_1>User\nWhat is 2\+2\?\n<extra_id_1>Assistant\n4\n<extra_id_2>$/s);
  });
});

describe('convertDataFile from HelpSteer2', () => {
  it('gives the same NeMo records from JSONL and parquet, multi-turn prompts in one User turn as NeMo writes them', async () => {
    const fromJsonl = await convert('helpsteer2.jsonl', 'hs-jsonl.jsonl', { format: 'helpsteer2' });
    const fromParquet = await convert('helpsteer2.parquet', 'hs-parquet.jsonl', { format: 'helpsteer2' });
    expect(fromJsonl).toMatchObject({ records: 6, read: 6, labelledResponses: 6 });
    expect(fromParquet).toMatchObject({ records: 6, read: 6, labelledResponses: 6 });
    const text = await readFile(join(folder, 'hs-jsonl.jsonl'), 'utf8');
    expect(await readFile(join(folder, 'hs-parquet.jsonl'), 'utf8')).toBe(text);
    const records = await lines(join(folder, 'hs-jsonl.jsonl'));
    expect(records[0]).toEqual({
      system: DEFAULT_SYSTEM_PROMPT,
      mask: 'User',
      type: 'VALUE_TO_TEXT',
      conversations: [
        { from: 'User', value: 'Write a haiku about rain.', label: null },
        { from: 'Assistant', value: 'Soft rain on the roof', label: 'helpfulness:3,correctness:4,coherence:4,complexity:1,verbosity:1' },
      ],
    });
    expect((records[4]!['conversations'] as { value: string }[])[0]!.value).toBe(
      'Name a colour.\n<extra_id_1>Assistant\nBlue.\n<extra_id_1>User\nAnother one?',
    );
  });

  it('keeps only the attributes asked for, as NeMo --only_helpfulness', async () => {
    await convert('helpsteer2.jsonl', 'only-helpfulness.jsonl', { format: 'helpsteer2', attributes: ['helpfulness'] });
    const records = await lines(join(folder, 'only-helpfulness.jsonl'));
    expect(records.map((record) => (record['conversations'] as { label: string | null }[]).at(-1)!.label)).toEqual([
      'helpfulness:3',
      'helpfulness:1',
      'helpfulness:4',
      'helpfulness:4',
      'helpfulness:3',
      'helpfulness:2',
    ]);
    await expect(convert('helpsteer2.jsonl', 'bad-attributes.jsonl', { format: 'helpsteer2', attributes: ['helpful'] })).rejects.toThrow(
      /--attributes names "helpful", which the schema does not have/,
    );
  });

  it('stops at a bad row naming file, line and field, keeps what it wrote, and resumes after the fix', async () => {
    const rows = (await readFile(join(fixtures, 'helpsteer2.jsonl'), 'utf8')).split('\n');
    const bad = [...rows];
    bad[3] = bad[3]!.replace('"verbosity":2', '"verbosity":7');
    const input = join(folder, 'bad.jsonl');
    await writeFile(input, bad.join('\n'));
    const output = join(folder, 'resumed.jsonl');
    let kept = -1;
    const error = await convertDataFile({ input, output, format: 'helpsteer2', to: 'nemo', schema: STEERLM, onStopped: (count) => (kept = count) }).catch(
      (caught: unknown) => caught,
    );
    expect(DataFormatError.isInstance(error)).toBe(true);
    expect(error).toMatchObject({ file: input, line: 4, field: 'verbosity' });
    expect(kept).toBe(3);
    expect(await lines(`${output}.partial`)).toHaveLength(3);
    // Fixed: the run checks the three records it finds and writes the rest.
    await writeFile(input, rows.join('\n'));
    const summary = await convertDataFile({ input, output, format: 'helpsteer2', to: 'nemo', schema: STEERLM });
    expect(summary).toMatchObject({ records: 6, resumed: 3 });
    expect(await readFile(output, 'utf8')).toBe(await readFile(join(folder, 'hs-jsonl.jsonl'), 'utf8'));
  });

  it('stops on a signal keeping what it wrote, and the next run finishes it', async () => {
    const rows = Array.from({ length: 2500 }, (_, index) =>
      JSON.stringify({ prompt: `p${index}`, response: `r${index}`, helpfulness: index % 5, correctness: 1, coherence: 2, complexity: 3, verbosity: 4 }),
    );
    const input = join(folder, 'many.jsonl');
    await writeFile(input, `${rows.join('\n')}\n`);
    const output = join(folder, 'interrupted.jsonl');
    const controller = new AbortController();
    let kept = -1;
    const stopped = await convertDataFile({
      input,
      output,
      format: 'helpsteer2',
      to: 'nemo',
      schema: STEERLM,
      signal: controller.signal,
      onProgress: (event) => {
        if (event.type === 'step-end') controller.abort(new Error('interrupted by SIGINT'));
      },
      onStopped: (count) => (kept = count),
    }).catch((caught: unknown) => caught);
    expect((stopped as Error).message).toBe('interrupted by SIGINT');
    expect(kept).toBeGreaterThanOrEqual(999);
    expect(await lines(`${output}.partial`)).toHaveLength(kept);
    const summary = await convertDataFile({ input, output, format: 'helpsteer2', to: 'nemo', schema: STEERLM });
    expect(summary).toMatchObject({ records: 2500, resumed: kept });
    expect((await lines(output)).map((record) => (record['conversations'] as { value: string }[])[1]!.value)).toEqual(rows.map((_, index) => `r${index}`));
  });

  it('refuses to resume a partial output written from other input or options', async () => {
    const output = join(folder, 'mismatch.jsonl');
    await writeFile(`${output}.partial`, `${JSON.stringify({ system: 'other', mask: 'User', type: 'VALUE_TO_TEXT', conversations: [] })}\n`);
    await expect(convertDataFile({ input: join(fixtures, 'helpsteer2.jsonl'), output, format: 'helpsteer2', to: 'nemo', schema: STEERLM })).rejects.toThrow(
      /mismatch\.jsonl\.partial:1: the partial output of a previous run differs .*delete/,
    );
  });

  it('skips bad rows when asked, counting them with their location; parquet errors name the row', async () => {
    const rows = (await readFile(join(fixtures, 'helpsteer2.jsonl'), 'utf8')).split('\n');
    rows[1] = '{"prompt": "cut off';
    const input = join(folder, 'skip.jsonl');
    await writeFile(input, rows.join('\n'));
    const summary = await convertDataFile({ input, output: join(folder, 'skipped.jsonl'), format: 'helpsteer2', to: 'nemo', schema: STEERLM, onError: 'skip' });
    expect(summary).toMatchObject({ records: 5, skipped: 1 });
    expect(summary.firstErrors[0]).toMatch(/skip\.jsonl:2: line is not valid JSON/);
    const parquet = join(folder, 'bad.parquet');
    const column = (name: string, values: readonly unknown[], type: 'STRING' | 'INT64') => ({ name, type, data: values as never });
    const ratings = (value: bigint) => [value, value, value];
    await writeFile(
      parquet,
      new Uint8Array(
        parquetWriteBuffer({
          columnData: [
            column('prompt', ['a', 'b', 'c'], 'STRING'),
            column('response', ['x', 'y', 'z'], 'STRING'),
            ...['helpfulness', 'correctness', 'coherence', 'complexity'].map((name) => column(name, ratings(2n), 'INT64')),
            column('verbosity', [1n, 9n, 1n], 'INT64'),
          ],
        }),
      ),
    );
    const output = join(folder, 'from-bad-parquet.jsonl');
    await expect(convertDataFile({ input: parquet, output, format: 'helpsteer2', to: 'nemo', schema: STEERLM })).rejects.toThrow(
      /bad\.parquet:2, field "verbosity": expected an integer from 0 to 4, got 9/,
    );
    expect(await lines(`${output}.partial`)).toHaveLength(1);
  });
});
