import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OASST } from '../attributes';
import { DataFormatError } from '../errors';
import { steerlmTemplate } from '../prompt-template';
import { conversationToNemoRecord } from './nemo-record';
import { readOasstResponses, readOasstThreads, type OasstReader } from './oasst-conversations';

let folder: string;
beforeAll(async () => {
  folder = await mkdtemp(join(tmpdir(), 'steerlm-oasst-'));
});
afterAll(async () => {
  await rm(folder, { recursive: true, force: true });
});

type Labels = Record<string, number>;

/** Returns an oasst1 message row shaped like the dataset's. */
function row(
  tree: string,
  id: string,
  parent: string | null,
  role: 'prompter' | 'assistant',
  text: string,
  extra: { labels?: Labels; deleted?: boolean; lang?: string } = {},
) {
  const labels = extra.labels ? { name: Object.keys(extra.labels), value: Object.values(extra.labels), count: Object.keys(extra.labels).map(() => 3) } : null;
  return {
    message_id: id,
    parent_id: parent,
    user_id: `user-${id}`,
    created_date: '2023-02-08T05:01:06.589964+00:00',
    text,
    role,
    lang: extra.lang ?? 'en',
    review_count: 3,
    review_result: true,
    deleted: extra.deleted ?? false,
    rank: role === 'assistant' ? 0 : null,
    synthetic: false,
    model_name: null,
    detoxify: { toxicity: 0.001, insult: 0.0002 },
    message_tree_id: tree,
    tree_state: 'ready_for_export',
    emojis: { name: ['+1'], count: [1] },
    labels,
  };
}

// Tree t1: p1 → a1 → p2 → a3 (unlabeled), a4 (deleted); p1 → a2; p1 → a5 (deleted) → p3.
// p2 is listed before its parent a1, as happens in the real export. t2: a lone prompt. t3 ends on a prompt.
const a1Labels = { spam: 0, quality: 0.5, toxicity: 0.125, humor: 0.375, creativity: 0.625, violence: 0.875, not_appropriate: 0.8333333333333334 };
const fixture = [
  row('t1', 'p1', null, 'prompter', 'Q1', { labels: { quality: 1, toxicity: 0 } }),
  row('t1', 'p2', 'a1', 'prompter', 'Q2'),
  row('t1', 'a1', 'p1', 'assistant', 'A1', { labels: a1Labels }),
  row('t1', 'a2', 'p1', 'assistant', 'A2', { labels: { quality: 1, helpfulness: 0.75, lang_mismatch: 0 } }),
  row('t1', 'a3', 'p2', 'assistant', 'A3'),
  row('t1', 'a4', 'p2', 'assistant', 'A4', { deleted: true, labels: { quality: 0 } }),
  row('t1', 'a5', 'p1', 'assistant', 'A5', { deleted: true }),
  row('t1', 'p3', 'a5', 'prompter', 'Q3'),
  row('t2', 'p10', null, 'prompter', 'Lonely'),
  row('t2', 'a11', 'p10', 'assistant', 'Gone', { deleted: true }),
  row('t3', 'p20', null, 'prompter', 'Q20'),
  row('t3', 'a21', 'p20', 'assistant', 'A21', { labels: { quality: 0.25, humor: 0.5 } }),
  row('t3', 'p22', 'a21', 'prompter', 'Q22'),
];
const jsonl = (rows: unknown[]) => [rows.map((value) => JSON.stringify(value)).join('\n') + '\n'];

async function collect<T>(reader: OasstReader<T>): Promise<T[]> {
  const items: T[] = [];
  for await (const item of reader) items.push(item);
  return items;
}

const expectedThreads = [
  {
    treeId: 't1',
    leafId: 'a3',
    messageIds: ['p1', 'a1', 'p2', 'a3'],
    conversation: {
      turns: [
        { role: 'user', text: 'Q1' },
        { role: 'assistant', text: 'A1', attributes: { quality: 2, toxicity: 0, humor: 2, creativity: 2 } },
        { role: 'user', text: 'Q2' },
        { role: 'assistant', text: 'A3' },
      ],
    },
  },
  {
    treeId: 't1',
    leafId: 'a2',
    messageIds: ['p1', 'a2'],
    conversation: {
      turns: [
        { role: 'user', text: 'Q1' },
        { role: 'assistant', text: 'A2', attributes: { quality: 4, helpfulness: 3 } },
      ],
    },
  },
  {
    treeId: 't3',
    leafId: 'p22',
    messageIds: ['p20', 'a21', 'p22'],
    conversation: {
      turns: [
        { role: 'user', text: 'Q20' },
        { role: 'assistant', text: 'A21', attributes: { quality: 1, humor: 2 } },
        { role: 'user', text: 'Q22' },
      ],
    },
  },
];

/** This project's earlier defaults, still available as options: no deleted messages, every schema label, no empty labels. */
const ours = { includeDeleted: false, labelNames: 'schema', emptyLabels: 'none' } as const;

describe('oasst1 threads', () => {
  it('by default reproduces NeMo-Aligner: deleted messages kept, only quality/toxicity/humor/creativity, "" for no kept label', async () => {
    // Expected records computed by NeMo's algorithm (scripts/nemo-reference/oasst_threads.py, which
    // follows preprocess_openassistant_data.py) on these rows; a23 is labelled with none of NeMo's four.
    const rows = [...fixture, row('t3', 'a23', 'p22', 'assistant', 'A23', { labels: { helpfulness: 0.5, spam: 0 } })];
    const records = (await collect(readOasstThreads(jsonl(rows)))).map((thread) =>
      conversationToNemoRecord(thread.conversation).conversations.map(({ from, value, label }) => [from, value, label]),
    );
    expect(records).toEqual([
      [
        ['User', 'Q1', null],
        ['Assistant', 'A1', 'quality:2,toxicity:0,humor:2,creativity:2'],
        ['User', 'Q2', null],
        ['Assistant', 'A3', null],
      ],
      [
        ['User', 'Q1', null],
        ['Assistant', 'A1', 'quality:2,toxicity:0,humor:2,creativity:2'],
        ['User', 'Q2', null],
        ['Assistant', 'A4', 'quality:0'],
      ],
      [
        ['User', 'Q1', null],
        ['Assistant', 'A2', 'quality:4'],
      ],
      [
        ['User', 'Q1', null],
        ['Assistant', 'A5', null],
        ['User', 'Q3', null],
      ],
      [
        ['User', 'Lonely', null],
        ['Assistant', 'Gone', null],
      ],
      [
        ['User', 'Q20', null],
        ['Assistant', 'A21', 'quality:1,humor:2'],
        ['User', 'Q22', null],
        ['Assistant', 'A23', ''],
      ],
    ]);
    const threads = await collect(readOasstThreads(jsonl(rows)));
    expect(threads[5]!.conversation.turns[3]).toEqual({ role: 'assistant', text: 'A23', attributes: {} });
    expect(steerlmTemplate.render(threads[5]!.conversation).endsWith('<extra_id_1>Assistant\n<extra_id_2>\nA23\n')).toBe(true);
  });

  it('keeps our earlier behaviours as options: no deleted messages, every schema label, no empty labels', async () => {
    const rows = [...fixture, row('t3', 'a23', 'p22', 'assistant', 'A23', { labels: { helpfulness: 0.5, spam: 0 } })];
    const threads = await collect(readOasstThreads(jsonl(rows), { labelNames: ['quality'] }));
    expect(threads[0]!.conversation.turns[1]!.attributes).toEqual({ quality: 2 });
    const everySchemaLabel = await collect(readOasstThreads(jsonl(rows), { labelNames: 'schema' }));
    expect(everySchemaLabel[2]!.conversation.turns[1]!.attributes).toEqual({ quality: 4, helpfulness: 3 });
    expect(everySchemaLabel[5]!.conversation.turns[3]!.attributes).toEqual({ helpfulness: 2 });
    expect((await collect(readOasstThreads(jsonl(rows), { emptyLabels: 'none' })))[5]!.conversation.turns[3]).toEqual({ role: 'assistant', text: 'A23' });
  });

  it('emits every root-to-leaf thread, drops lone prompts and deleted subtrees, bins labels with ties to even', async () => {
    const reader = readOasstThreads(jsonl(fixture), ours);
    expect(await collect(reader)).toEqual(expectedThreads);
    expect(reader.report).toEqual({ lines: 13, rows: 13, skipped: 0, excluded: 4, orphaned: 0, trees: 3, yielded: 3, firstErrors: [] });
  });

  it('keeps extended label names when the schema has them, and deleted messages on request', async () => {
    const extended = OASST.extend([
      { name: 'violence', min: 0, max: 4 },
      { name: 'not_appropriate', min: 0, max: 4 },
    ]);
    const threads = await collect(readOasstThreads(jsonl(fixture), { schema: extended, labelNames: 'schema', includeDeleted: true, system: 'S' }));
    expect(threads.map((thread) => thread.leafId)).toEqual(['a3', 'a4', 'a2', 'p3', 'a11', 'p22']);
    expect(threads[0]!.conversation.system).toBe('S');
    expect(threads[0]!.conversation.turns[1]!.attributes).toEqual({ quality: 2, toxicity: 0, humor: 2, creativity: 2, violence: 4, not_appropriate: 3 });
    expect(threads[1]!.conversation.turns[3]).toEqual({ role: 'assistant', text: 'A4', attributes: { quality: 0 } });
    const lonely = await collect(readOasstThreads(jsonl(fixture.filter((message) => message.message_tree_id === 't2')), { includeDeleted: true }));
    expect(lonely.map((thread) => thread.messageIds)).toEqual([['p10', 'a11']]);
    const french = await collect(readOasstThreads(jsonl(fixture), { ...ours, languages: ['fr'] }));
    expect(french).toEqual([]);
  });

  it('reads a file that is not grouped by tree: auto and buffered re-group it, contiguous names the fix', async () => {
    const shuffled = [fixture[10], ...fixture.slice(0, 4), fixture[11], ...fixture.slice(4, 10), fixture[12]];
    const path = join(folder, 'shuffled.jsonl');
    await writeFile(path, jsonl(shuffled)[0]!);
    const byLeaf = (items: { leafId: string }[]) => items.map((item) => item.leafId).sort();
    const wanted = byLeaf(expectedThreads);
    expect(byLeaf(await collect(readOasstThreads(path, ours)))).toEqual(wanted);
    expect(byLeaf(await collect(readOasstThreads(jsonl(shuffled), { ...ours, grouping: 'buffered' })))).toEqual(wanted);
    const grouped = join(folder, 'grouped.jsonl');
    await writeFile(grouped, jsonl(fixture)[0]!);
    expect(await collect(readOasstThreads(grouped, ours))).toEqual(expectedThreads);
    try {
      await collect(readOasstThreads(jsonl(shuffled), { file: 'shuffled.jsonl' }));
      expect.unreachable();
    } catch (error) {
      expect(DataFormatError.isInstance(error)).toBe(true);
      expect((error as DataFormatError).line).toBe(6);
      expect((error as DataFormatError).message).toMatch(/^shuffled\.jsonl:6, field "message_tree_id": message_tree_id "t3" reappears/);
      expect((error as DataFormatError).hint).toMatch(/grouping: 'buffered'/);
    }
    // One row with a corrupted tree id splits t1; in skip mode the rows after it are counted, not fatal.
    const corrupted = [...fixture.slice(0, 2), { ...fixture[2], message_tree_id: 'tX' }, ...fixture.slice(3)];
    const lenient = readOasstThreads(jsonl(corrupted), { ...ours, onError: 'skip' });
    expect((await collect(lenient)).map((thread) => thread.leafId)).toEqual(['p22']);
    expect(lenient.report).toMatchObject({ skipped: 5, orphaned: 2, trees: 4 });
    expect(lenient.report.firstErrors.map((error) => error.line)).toEqual([4, 5, 6, 7, 8]);
  });

  it('locates malformed rows and broken trees, and in skip mode counts them and goes on', async () => {
    const broken = [
      ...fixture.slice(0, 4),
      { ...row('t1', 'bad', 'p1', 'assistant', 'B'), labels: { name: ['quality'], value: [1.5], count: [1] } },
      row('t1', 'orphan', 'missing', 'assistant', 'O'),
      row('t1', 'under-orphan', 'orphan', 'prompter', 'UO'),
      row('t1', 'twin', 'a2', 'assistant', 'Two assistants in a row'),
      row('t1', 'cycle-a', 'cycle-b', 'prompter', 'CA'),
      row('t1', 'cycle-b', 'cycle-a', 'assistant', 'CB'),
      { ...row('t1', 'typed', 'p1', 'assistant', 'T'), role: 'robot' },
    ];
    try {
      await collect(readOasstThreads(jsonl(broken), { file: 'b.jsonl' }));
      expect.unreachable();
    } catch (error) {
      expect((error as DataFormatError).message).toBe('b.jsonl:5, field "labels.value[0]": label "quality" must be a number in [0, 1], got 1.5');
    }
    const lenient = readOasstThreads(jsonl(broken), { file: 'b.jsonl', onError: 'skip' });
    expect((await collect(lenient)).map((thread) => thread.messageIds)).toEqual([
      ['p1', 'a1', 'p2'],
      ['p1', 'a2'],
    ]);
    expect(lenient.report).toMatchObject({ lines: 11, rows: 9, skipped: 4, excluded: 1, orphaned: 2, trees: 1, yielded: 2 });
    expect(lenient.report.firstErrors.map((error) => error.line)).toEqual([5, 11, 8, 10]);
    const reader = readOasstThreads(jsonl(broken), { file: 'b.jsonl', onError: 'skip', onMissingParent: 'error' });
    const threads = await collect(reader);
    expect(threads.map((thread) => thread.messageIds)).toEqual([
      ['p1', 'a1', 'p2'],
      ['p1', 'a2'],
    ]);
    expect(reader.report).toMatchObject({ lines: 11, rows: 9, skipped: 5, excluded: 2, orphaned: 0, trees: 1, yielded: 2 });
    expect(reader.report.firstErrors.map((error) => [error.line, error.field])).toEqual([
      [5, 'labels.value[0]'],
      [11, 'role'],
      [8, 'role'],
      [6, 'parent_id'],
      [10, 'parent_id'],
    ]);
    expect(reader.report.firstErrors[3]!.message).toContain('parent_id "missing" is not a message of tree "t1"');
    expect(reader.report.firstErrors[4]!.message).toContain('form a cycle');
  });
});

describe('oasst1 responses', () => {
  it('yields each labeled assistant message with its context and raw labels', async () => {
    const responses = await collect(readOasstResponses(jsonl(fixture), { includeDeleted: false }));
    expect(responses.map((response) => response.messageId)).toEqual(['a1', 'a2', 'a21']);
    expect(responses[0]).toEqual({
      treeId: 't1',
      messageId: 'a1',
      context: [{ role: 'user', text: 'Q1' }],
      response: 'A1',
      labels: a1Labels,
      labelCounts: Object.fromEntries(Object.keys(a1Labels).map((name) => [name, 3])),
      lang: 'en',
      rank: 0,
      detoxify: { toxicity: 0.001, insult: 0.0002 },
    });
    expect(responses[2]!.context).toEqual([{ role: 'user', text: 'Q20' }]);
    const all = await collect(readOasstResponses(jsonl(fixture), { includeDeleted: false, includeUnlabeled: true }));
    expect(all.map((response) => response.messageId)).toEqual(['a1', 'a3', 'a2', 'a21']);
    expect(all[1]!.context).toEqual([
      { role: 'user', text: 'Q1' },
      { role: 'assistant', text: 'A1' },
      { role: 'user', text: 'Q2' },
    ]);
    expect(all[1]!.labels).toEqual({});
  });
});
