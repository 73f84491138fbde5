import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { STEERLM } from '@steerlm/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCommandInProcess } from '../testing/run-command-in-process';
import { readLabelledResponses } from './labelled-responses';

const fixtures = fileURLToPath(new URL('../data/fixtures/', import.meta.url));
let folder: string;
beforeAll(async () => {
  folder = await mkdtemp(join(tmpdir(), 'steerlm-data-commands-'));
});
afterAll(async () => {
  await rm(folder, { recursive: true, force: true });
});

describe('steerlm data', () => {
  it('convert → split → stats on an oasst1 export, with the tree ids apm train groups by', async () => {
    const converted = join(folder, 'oasst.jsonl');
    const convert = await runCommandInProcess(['data', 'convert', '--input', join(fixtures, 'oasst-messages.jsonl.gz'), '--output', converted, '--json']);
    expect(convert.code).toBe(0);
    expect(JSON.parse(convert.stdout)).toMatchObject({ format: 'oasst1', to: 'nemo', records: 7, conversations: 7, labelledResponses: 7, trees: 4 });
    const groups = new Set((await readLabelledResponses(converted, STEERLM)).map((response) => response.group));
    expect([...groups].sort()).toEqual(['tree:a', 'tree:b', 'tree:c']);

    const split = await runCommandInProcess([
      'data',
      'split',
      '--input',
      converted,
      '--output-dir',
      join(folder, 'split'),
      '--sizes',
      '0.5,0.5',
      '--seed',
      '2',
      '--json',
    ]);
    expect(split.code).toBe(0);
    const parts = (JSON.parse(split.stdout) as { parts: Record<string, { records: number }> }).parts;
    expect(parts['train']!.records + parts['validation']!.records).toBe(7);
    const train = await readFile(join(folder, 'split', 'train.jsonl'), 'utf8');
    expect(train.split('\n').filter((line) => line !== '')).toHaveLength(parts['train']!.records);

    const html = join(folder, 'stats.html');
    const stats = await runCommandInProcess(['data', 'stats', '--input', converted, '--html', html, '--json']);
    expect(stats.code).toBe(0);
    expect(JSON.parse(stats.stdout)).toMatchObject({ format: 'nemo', conversations: 7, html });
    expect(await readFile(html, 'utf8')).toMatch(/<svg[^>]*>.*<title>quality<\/title>/s);
  });

  it("passes the oasst1 options to core's reader", async () => {
    const records = async (...flags: string[]) => {
      const run = await runCommandInProcess([
        'data',
        'convert',
        '--input',
        join(fixtures, 'oasst-messages.jsonl'),
        '--output',
        join(folder, 'options.jsonl'),
        '--json',
        ...flags,
      ]);
      expect(run.code).toBe(0);
      return (JSON.parse(run.stdout) as { records: number }).records;
    };
    expect(await records()).toBe(7);
    expect(await records('--lang', 'de')).toBe(1);
    expect(await records('--drop-deleted')).toBe(6);
    expect(await records('--review-passed')).toBe(6);
    expect(await records('--empty-labels', 'none', '--to', 'regression')).toBe(7);
    const stats = await runCommandInProcess(['data', 'stats', '--input', join(fixtures, 'oasst-messages.jsonl'), '--oasst-labels', 'schema', '--json']);
    expect((JSON.parse(stats.stdout) as { labels: Record<string, Record<string, number>> }).labels['helpfulness']).toEqual({ '2': 1, '4': 1 });
  });

  it('prints tables, and converts HelpSteer2 parquet told by its columns', async () => {
    const output = join(folder, 'helpsteer2.jsonl');
    const run = await runCommandInProcess(['data', 'convert', '--input', join(fixtures, 'helpsteer2.parquet'), '--output', output]);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/helpsteer\s+6\s+6\s+6\s+6\s+0/);
    expect(run.stdout).toContain(`NeMo SteerLM JSONL: ${output}`);
    const stats = await runCommandInProcess(['data', 'stats', '--input', output]);
    expect(stats.stdout).toMatch(/verbosity\s+3\s+1\s+1\s+1\s+0/);
  });

  it('stops at a bad record with its file, line and field, and says where the written records are kept', async () => {
    const rows = (await readFile(join(fixtures, 'helpsteer2.jsonl'), 'utf8')).split('\n');
    rows[2] = rows[2]!.replace('"helpfulness":4', '"helpfulness":"high"');
    const input = join(folder, 'bad.jsonl');
    await writeFile(input, rows.join('\n'));
    const output = join(folder, 'bad-out.jsonl');
    const run = await runCommandInProcess(['data', 'convert', '--input', input, '--output', output]);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`${input}:3, field "helpfulness": expected an integer from 0 to 4, got string`);
    expect(run.stderr).toContain(`2 records written before the error are kept in ${output}.partial`);
  });

  it('refuses what cannot be meant: a NeMo file to convert, sizes without a file', async () => {
    const nemo = join(folder, 'nemo.jsonl');
    await runCommandInProcess(['data', 'convert', '--input', join(fixtures, 'helpsteer2.jsonl'), '--output', nemo]);
    const again = await runCommandInProcess(['data', 'convert', '--input', nemo, '--output', join(folder, 'again.jsonl')]);
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(/holds nemo records; this command reads oasst1, helpsteer, helpsteer2/);
    const split = await runCommandInProcess(['data', 'split', '--input', nemo, '--train', join(folder, 't.jsonl'), '--sizes', '0.8,0.1,0.1']);
    expect(split.code).toBe(2);
    expect(split.stderr).toMatch(/--sizes asks for a validation part, but no file is given for it/);
  });

  it('measures lengths in tokens of a tokenizer.json', async () => {
    const tokenizer = join(folder, 'tokenizer.json');
    const wordLevel = { type: 'WordLevel', vocab: { '[UNK]': 0, Paris: 1 }, unk_token: '[UNK]' };
    const unknown = { id: 0, content: '[UNK]', single_word: false, lstrip: false, rstrip: false, normalized: false, special: true };
    await writeFile(
      tokenizer,
      JSON.stringify({
        version: '1.0',
        added_tokens: [unknown],
        normalizer: null,
        pre_tokenizer: { type: 'Whitespace' },
        post_processor: null,
        decoder: null,
        model: wordLevel,
      }),
    );
    const run = await runCommandInProcess(['data', 'stats', '--input', join(fixtures, 'helpsteer2.jsonl'), '--tokenizer', tokenizer, '--json']);
    expect(run.code).toBe(0);
    const stats = JSON.parse(run.stdout) as { unit: string; lengths: { response: { min: number; max: number } } };
    // "Red, like a ripe tomato in late summer." is 10 words and marks; "Rain." is 2.
    expect(stats).toMatchObject({ unit: 'tokens', lengths: { response: { min: 2, max: 10 } } });
  });

  it('documents the options in --help', async () => {
    const help = await runCommandInProcess(['data', 'convert', '--help']);
    expect(help.stdout).toContain('--drop-deleted');
    expect(help.stdout).toContain("NeMo-Aligner's preprocess_openassistant_data.py");
  });
});
