import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DataFormatError } from '../errors';
import { readHelpSteerConversations } from './helpsteer';
import type { JsonlReader } from './jsonl-reader';
import { readNemoRecords } from './nemo-record';
import { readOasstThreads } from './oasst-conversations';
import { readRegressionRecords } from './regression-record';

const nemo = {
  system: 'S',
  mask: 'User',
  type: 'VALUE_TO_TEXT',
  conversations: [
    { from: 'User', value: 'q', label: null },
    { from: 'Assistant', value: 'a', label: 'quality:4,humor:1' },
  ],
};
const helpsteer = {
  prompt: 'u1\n<extra_id_1>Assistant\na1\n<extra_id_1>User\nu2',
  response: 'r',
  helpfulness: 3,
  correctness: 3,
  coherence: 4,
  complexity: 1,
  verbosity: 2,
};
const regression = {
  text: '<extra_id_0>System\nS\n<extra_id_1>User\nq\n<extra_id_1>Assistant\na\n<extra_id_2>',
  label: [4, -100, 1, -100, -100, -100, -100, -100, 2],
};
const oasst = (id: string, parent: string | null, role: string) => ({
  message_id: id,
  parent_id: parent,
  message_tree_id: 't',
  role,
  text: id,
  lang: 'en',
  deleted: false,
  review_result: true,
  rank: null,
  detoxify: { toxicity: 0.1 },
  labels: role === 'assistant' ? { name: ['quality', 'humor'], value: [0.5, 0.125], count: [3, 3] } : null,
});
const oasstRows = [
  oasst('p', null, 'prompter'),
  oasst('a', 'p', 'assistant'),
  oasst('p2', 'a', 'prompter'),
  oasst('a2', 'p2', 'assistant'),
  oasst('b', 'p', 'assistant'),
];

/** Every path to a value inside a JSON value. */
function paths(value: unknown, prefix: (string | number)[] = []): (string | number)[][] {
  const found: (string | number)[][] = [prefix];
  if (Array.isArray(value)) value.forEach((item, index) => found.push(...paths(item, [...prefix, index])));
  else if (typeof value === 'object' && value !== null) for (const [key, item] of Object.entries(value)) found.push(...paths(item, [...prefix, key]));
  return found;
}

/** Returns a copy of `value` with the value at `path` replaced (or deleted when `replacement` is undefined). */
function mutate(value: unknown, path: (string | number)[], replacement: unknown): unknown {
  if (path.length === 0) return replacement;
  const copy = structuredClone(value) as Record<string | number, unknown>;
  let target = copy;
  for (const step of path.slice(0, -1)) target = target[step] as Record<string | number, unknown>;
  const last = path[path.length - 1]!;
  if (replacement === undefined) delete target[last];
  else target[last] = replacement;
  return copy;
}

/** A line: the record intact, with one value replaced or removed, or not JSON at all. */
function lines(records: unknown[]) {
  const record = fc.constantFrom(...records);
  const mutated = record.chain((value) =>
    fc
      .tuple(fc.constantFrom(...paths(value)), fc.option(fc.jsonValue({ maxDepth: 2 }), { nil: undefined }))
      .map(([path, replacement]) => JSON.stringify(mutate(value, path, replacement)) ?? ''),
  );
  const line = fc.oneof(
    record.map((value) => JSON.stringify(value)),
    mutated,
    fc.string({ maxLength: 30 }),
  );
  return fc.array(line, { maxLength: 12 });
}

async function drain(reader: AsyncIterable<unknown>): Promise<number> {
  let count = 0;
  for await (const _ of reader) count += 1;
  return count;
}

async function expectOnlyDataFormatErrors(run: () => Promise<unknown>): Promise<void> {
  try {
    await run();
  } catch (error) {
    expect(DataFormatError.isInstance(error), String(error)).toBe(true);
    expect((error as DataFormatError).line ?? (error as DataFormatError).file).toBeDefined();
  }
}

describe('format readers under fuzzing', () => {
  const readers: [string, unknown[], (text: string, mode: 'throw' | 'skip') => JsonlReader<unknown>][] = [
    ['NeMo records', [nemo], (text, onError) => readNemoRecords([text], { onError })],
    ['HelpSteer rows', [helpsteer], (text, onError) => readHelpSteerConversations([text], { onError })],
    ['regression records', [regression], (text, onError) => readRegressionRecords([text], { onError })],
  ];
  for (const [name, records, read] of readers) {
    it(`${name}: mutated records give a record or a located DataFormatError, and every line is counted`, async () => {
      await fc.assert(
        fc.asyncProperty(lines(records), async (texts) => {
          const text = texts.join('\n');
          const reader = read(text, 'skip');
          const yielded = await drain(reader);
          const { report } = reader;
          expect(report.yielded).toBe(yielded);
          expect(report.yielded + report.skipped + report.blank).toBe(report.lines);
          expect(report.lines).toBe(text === '' ? 0 : text.split('\n').length - (text.endsWith('\n') ? 1 : 0));
          for (const error of report.firstErrors) expect(error.line).toBeGreaterThan(0);
          await expectOnlyDataFormatErrors(() => drain(read(text, 'throw')));
        }),
        { numRuns: 150 },
      );
    });
  }

  it('oasst1 threads: mutated rows never crash the tree builder', async () => {
    await fc.assert(
      fc.asyncProperty(lines(oasstRows), fc.constantFrom('contiguous' as const, 'buffered' as const), async (texts, grouping) => {
        const text = texts.join('\n');
        const reader = readOasstThreads([text], { onError: 'skip', grouping });
        const yielded = await drain(reader);
        expect(reader.report.yielded).toBe(yielded);
        expect(reader.report.rows).toBeLessThanOrEqual(reader.report.lines);
        await expectOnlyDataFormatErrors(() => drain(readOasstThreads([text], { grouping })));
      }),
      { numRuns: 150 },
    );
  });
});
