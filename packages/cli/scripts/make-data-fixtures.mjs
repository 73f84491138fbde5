// Writes the small datasets the `steerlm data` tests read (packages/cli/src/data/fixtures/): an oasst1
// message export, the same gzipped and as parquet, HelpSteer2 rows as JSONL and as parquet (INT64 ratings, snappy,
// as pandas and the Hub write them). Run: node packages/cli/scripts/make-data-fixtures.mjs
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import process from 'node:process';
import { gzipSync } from 'node:zlib';
import { parquetWriteBuffer } from 'hyparquet-writer';

const folder = join(dirname(fileURLToPath(import.meta.url)), '..', 'src', 'data', 'fixtures');
mkdirSync(folder, { recursive: true });

/** One oasst1 message row, with the fields the export has. */
function message(id, parent, tree, role, text, extra = {}) {
  const { labels, ...rest } = extra;
  return {
    message_id: id,
    parent_id: parent,
    user_id: `user-${id}`,
    created_date: '2023-02-05T14:23:50.983374+00:00',
    text,
    role,
    lang: 'en',
    review_count: 3,
    review_result: true,
    deleted: false,
    rank: null,
    synthetic: false,
    model_name: null,
    detoxify: null,
    message_tree_id: tree,
    tree_state: 'ready_for_export',
    emojis: null,
    labels: labels ? { name: Object.keys(labels), value: Object.values(labels), count: Object.keys(labels).map(() => 3) } : null,
    ...rest,
  };
}

// Tree a: branches (two replies to the root; two follow-ups to a2, one unanswered); a3 has only a label
// NeMo does not keep.
// Tree b: a deleted reply, one whose review failed, and two replies with the same text.
// Tree c: German. Tree d: a root nobody answered and a reply whose parent is missing (orphaned).
const oasst = [
  message('a1', null, 'a', 'prompter', 'What is 2+2?'),
  message('a2', 'a1', 'a', 'assistant', '4', { rank: 0, labels: { quality: 0.75, toxicity: 0, humor: 0.25, creativity: 0.5, spam: 0 } }),
  message('a4', 'a2', 'a', 'prompter', 'And 3+3?'),
  message('a5', 'a4', 'a', 'assistant', '6', { labels: { quality: 1, helpfulness: 0.9 } }),
  message('a6', 'a2', 'a', 'prompter', 'And 4+4?'),
  message('a3', 'a1', 'a', 'assistant', 'Four.', { rank: 1, labels: { helpfulness: 0.5 } }),
  message('b1', null, 'b', 'prompter', 'Tell me a joke.'),
  message('b2', 'b1', 'b', 'assistant', 'Why did the chicken cross the road?', { deleted: true, labels: { quality: 0.5 } }),
  message('b3', 'b1', 'b', 'assistant', 'Knock knock.', { review_result: false, labels: { humor: 1 } }),
  message('b4', 'b1', 'b', 'assistant', 'Knock knock.', { labels: { humor: 0.625 } }),
  message('c1', null, 'c', 'prompter', 'Hallo, wie geht es dir?', { lang: 'de' }),
  message('c2', 'c1', 'c', 'assistant', 'Gut, danke!', { lang: 'de', labels: { quality: 0.5, creativity: 0.125 } }),
  message('d1', null, 'd', 'prompter', 'Is anyone there?'),
  message('d3', 'd-missing', 'd', 'assistant', 'An answer to a message that is not in the file.', { labels: { quality: 0.25 } }),
];
const oasstText = oasst.map((row) => JSON.stringify(row)).join('\n') + '\n';
writeFileSync(join(folder, 'oasst-messages.jsonl'), oasstText);
writeFileSync(join(folder, 'oasst-messages.jsonl.gz'), gzipSync(oasstText, { level: 9, mtime: 0 }));
// The same rows as parquet, as the Hub ships OpenAssistant/oasst1 (labels here as a JSON column; the Hub's is a struct).
const oasstColumn = (name, type) => ({ name, type, data: oasst.map((row) => row[name]) });
const oasstParquet = parquetWriteBuffer({
  rowGroupSize: 5,
  columnData: [
    ...['message_id', 'parent_id', 'user_id', 'created_date', 'text', 'role', 'lang'].map((name) => oasstColumn(name, 'STRING')),
    oasstColumn('review_result', 'BOOLEAN'),
    oasstColumn('deleted', 'BOOLEAN'),
    oasstColumn('rank', 'DOUBLE'),
    oasstColumn('message_tree_id', 'STRING'),
    oasstColumn('labels', 'JSON'),
  ],
});
writeFileSync(join(folder, 'oasst-messages.parquet'), new Uint8Array(oasstParquet));

// HelpSteer2: two responses to each prompt; the third prompt has earlier turns (the multi-turn layout).
const multiTurn = 'Name a colour.\n<extra_id_1>Assistant\nBlue.\n<extra_id_1>User\nAnother one?';
const helpSteer = [
  { prompt: 'Write a haiku about rain.', response: 'Soft rain on the roof', helpfulness: 3, correctness: 4, coherence: 4, complexity: 1, verbosity: 1 },
  { prompt: 'Write a haiku about rain.', response: 'Rain.', helpfulness: 1, correctness: 2, coherence: 3, complexity: 0, verbosity: 0 },
  { prompt: 'What is the capital of France?', response: 'Paris.', helpfulness: 4, correctness: 4, coherence: 4, complexity: 0, verbosity: 0 },
  {
    prompt: 'What is the capital of France?',
    response: 'It is Paris, on the Seine.',
    helpfulness: 4,
    correctness: 4,
    coherence: 4,
    complexity: 1,
    verbosity: 2,
  },
  { prompt: multiTurn, response: 'Green.', helpfulness: 3, correctness: 4, coherence: 4, complexity: 0, verbosity: 0 },
  { prompt: multiTurn, response: 'Red, like a ripe tomato in late summer.', helpfulness: 2, correctness: 4, coherence: 3, complexity: 1, verbosity: 3 },
];
writeFileSync(join(folder, 'helpsteer2.jsonl'), helpSteer.map((row) => JSON.stringify(row)).join('\n') + '\n');
const column = (name, type) => ({ name, type, data: helpSteer.map((row) => (type === 'INT64' ? BigInt(row[name]) : row[name])) });
const parquet = parquetWriteBuffer({
  rowGroupSize: 4,
  columnData: [
    column('prompt', 'STRING'),
    column('response', 'STRING'),
    ...['helpfulness', 'correctness', 'coherence', 'complexity', 'verbosity'].map((name) => column(name, 'INT64')),
  ],
});
writeFileSync(join(folder, 'helpsteer2.parquet'), new Uint8Array(parquet));
process.stdout.write(`wrote the data fixtures to ${folder}\n`);
