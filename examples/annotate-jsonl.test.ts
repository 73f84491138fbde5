import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, expect, it } from 'vitest';

const here = fileURLToPath(new URL('.', import.meta.url));
const directory = mkdtempSync(join(tmpdir(), 'annotate-example-'));
afterAll(() => rmSync(directory, { recursive: true, force: true }));

/** Writes oasst1-style message rows: per tree a prompt and two answers; labelled answers get quality from their length. */
function writeTrees(file: string, trees: number, labelled: boolean): void {
  const rows: string[] = [];
  for (let tree = 0; tree < trees; tree += 1) {
    const root = `${file.endsWith('train.jsonl') ? 't' : 'u'}${tree}`;
    rows.push(
      JSON.stringify({ message_id: root, parent_id: null, message_tree_id: root, role: 'prompter', text: `Question ${tree}: how do plants grow?`, lang: 'en' }),
    );
    for (const [index, words] of [3 + (tree % 5), 30 + (tree % 7) * 10].entries()) {
      const text = Array.from({ length: words }, (_, word) => `word${(word * 7 + tree) % 13}`).join(' ');
      const quality = Math.min(1, words / 100);
      const labels = labelled ? { name: ['quality', 'toxicity', 'humor', 'creativity'], value: [quality, 0, (tree % 3) / 4, 0.5], count: [3, 3, 3, 3] } : null;
      rows.push(JSON.stringify({ message_id: `${root}-a${index}`, parent_id: root, message_tree_id: root, role: 'assistant', text, lang: 'en', labels }));
    }
  }
  writeFileSync(file, `${rows.join('\n')}\n`);
}

const run = (args: string[]) => execFileSync(process.execPath, ['--import', 'tsx', 'annotate-jsonl.ts', ...args], { cwd: here, encoding: 'utf8' });

it('annotate-jsonl trains, saves, labels a dataset and resumes without duplicates (built packages)', () => {
  const train = join(directory, 'train.jsonl');
  const input = join(directory, 'input.jsonl');
  const output = join(directory, 'labels.jsonl');
  const model = join(directory, 'model');
  writeTrees(train, 40, true);
  writeTrees(input, 10, false);
  const args = ['--train', train, '--input', input, '--output', output, '--model', model, '--featurizer', 'text-statistics'];
  const first = JSON.parse(run(args).trim().split('\n').at(-1)!);
  expect(first).toMatchObject({ read: 20, written: 20 });
  const lines = readFileSync(output, 'utf8')
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line));
  expect(lines).toHaveLength(20);
  expect(lines[0].label).toMatch(/^quality:[0-4],toxicity:[0-4],humor:[0-4],creativity:[0-4]$/);
  expect(lines[0].treeId).toBe('u0');
  // The longer answer of a tree should get the higher predicted quality, as in the training data.
  expect(lines[1].values.quality).toBeGreaterThan(lines[0].values.quality);

  const second = run(args);
  expect(second).toContain('loaded the predictor');
  expect(JSON.parse(second.trim().split('\n').at(-1)!)).toMatchObject({ read: 20, written: 0, skipped: { 'already-annotated': 20 } });
  expect(readFileSync(output, 'utf8').trim().split('\n')).toHaveLength(20);
});
