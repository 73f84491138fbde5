import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { OASST } from '@steerlm/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { distinctLabelledResponses, readLabelledResponses } from './labelled-responses';

let folder: string;
beforeAll(async () => {
  folder = await mkdtemp(join(tmpdir(), 'labelled-responses-'));
});
afterAll(() => rm(folder, { recursive: true, force: true }));

const record = (turns: [string, string][], extra: Record<string, unknown> = {}) =>
  JSON.stringify({
    system: '',
    mask: 'User',
    type: 'VALUE_TO_TEXT',
    ...extra,
    conversations: turns.map(([from, value]) => ({ from, value, label: from === 'Assistant' ? 'quality:3,toxicity:0,humor:0,creativity:0' : null })),
  });

describe('readLabelledResponses groups', () => {
  it('keeps the threads of one tree together without tree_id (by their root prompt), and uses tree_id when given', async () => {
    const file = join(folder, 'threads.jsonl');
    // Two OASST-style threads of one tree share the root prompt and its first answer.
    await writeFile(
      file,
      [
        record([
          ['User', 'Root?'],
          ['Assistant', 'A'],
          ['User', 'More?'],
          ['Assistant', 'B'],
        ]),
        record([
          ['User', 'Root?'],
          ['Assistant', 'A'],
          ['User', 'Other?'],
          ['Assistant', 'C'],
        ]),
        record([
          ['User', 'Another root'],
          ['Assistant', 'D'],
        ]),
        record(
          [
            ['User', 'Root?'],
            ['Assistant', 'E'],
          ],
          { tree_id: 't9' },
        ),
      ].join('\n') + '\n',
    );
    const responses = await readLabelledResponses(file, OASST);
    const groups = responses.map((response) => response.group);
    expect(groups.slice(0, 4)).toEqual(Array(4).fill('prompt:Root?'));
    expect(groups[4]).toBe('prompt:Another root');
    expect(groups[5]).toBe('tree:t9');
  });

  it('counts a response that several threads repeat once, and keeps responses that differ in context, text or labels', async () => {
    const file = join(folder, 'repeats.jsonl');
    const labelled = (turns: [string, string, string | null][]) =>
      JSON.stringify({ system: '', mask: 'User', type: 'VALUE_TO_TEXT', conversations: turns.map(([from, value, label]) => ({ from, value, label })) });
    const label = 'quality:3,toxicity:0,humor:0,creativity:0';
    await writeFile(
      file,
      [
        // Two threads through the same first answer "A": it is one response, written twice.
        labelled([
          ['User', 'Root?', null],
          ['Assistant', 'A', label],
          ['User', 'More?', null],
          ['Assistant', 'B', label],
        ]),
        labelled([
          ['User', 'Root?', null],
          ['Assistant', 'A', label],
          ['User', 'Other?', null],
          ['Assistant', 'C', label],
        ]),
        // The same text after another prompt, and the same text and prompt with another label: both distinct.
        labelled([
          ['User', 'Another?', null],
          ['Assistant', 'A', label],
        ]),
        labelled([
          ['User', 'Root?', null],
          ['Assistant', 'A', 'quality:1,toxicity:0,humor:0,creativity:0'],
        ]),
      ].join('\n') + '\n',
    );
    const all = await readLabelledResponses(file, OASST);
    expect(all).toHaveLength(6);
    const { responses, repeats } = distinctLabelledResponses(all);
    expect(repeats).toBe(1);
    expect(responses.map((response) => [response.input.context.at(-1)!.text, response.input.response, response.labels!.quality])).toEqual([
      ['Root?', 'A', 3],
      ['More?', 'B', 3],
      ['Other?', 'C', 3],
      ['Another?', 'A', 3],
      ['Root?', 'A', 1],
    ]);
  });
});
