import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { conditionPrompt, HELPSTEER } from '@steerlm/core';
import { createCharacterNGramModel, createScriptedModel, startTestServer, type TestServer } from '@steerlm/test-server';

const here = fileURLToPath(new URL('.', import.meta.url));
const run = promisify(execFile);

// A tiny "SteerLM model": a character n-gram trained on conditioned prompts whose answers get longer
// with the requested verbosity (word counts 4, 20, 45, 100 and 170 fall in levels 0..4 of the example).
const questions = ['Explain why the sky is blue.', 'How do I keep basil alive indoors?'];
const vocabulary = ['amber', 'brisk', 'cobalt', 'dune', 'ember', 'fjord', 'glint', 'haze', 'isle', 'jade', 'kelp', 'lumen', 'moss', 'nimbus', 'opal'];
const answer = (level: number, words: number) =>
  Array.from({ length: words }, (_, index) => `${vocabulary[index % vocabulary.length]}${index}${'vwxyz'[level]}`).join(' ') + '.';
const wordsAtLevel = [4, 20, 45, 100, 170];

let model: TestServer;
let judge: TestServer;
let directory: string;

beforeAll(async () => {
  const texts = questions.flatMap((prompt) =>
    wordsAtLevel.map(
      (words, verbosity) => conditionPrompt({ prompt, schema: HELPSTEER, attributes: { ...HELPSTEER.defaults(), verbosity } }) + answer(verbosity, words),
    ),
  );
  model = await startTestServer({ model: createCharacterNGramModel({ texts, order: 12, modelId: 'tiny-steerlm' }) });
  const words = (text: string) => text.split(/\s+/).filter(Boolean).length;
  judge = await startTestServer({
    model: createScriptedModel({
      modelId: 'judge',
      rules: [
        {
          when: /\[The assistant's answer\]\n([\s\S]*?)\n\[End of the assistant's answer\]/,
          reply: (_prompt, match) => `Detailed enough. Rating: [[${Math.min(10, 1 + Math.floor(words(match![1]!) / 20))}]]`,
        },
        {
          when: /\[Assistant A's answer\]\n([\s\S]*?)\n\[End of Assistant A's answer\][\s\S]*\[Assistant B's answer\]\n([\s\S]*?)\n\[End of Assistant B's answer\]/,
          reply: (_prompt, match) => (words(match![1]!) >= words(match![2]!) ? 'A is fuller. [[A]]' : 'B is fuller. [[B]]'),
        },
      ],
    }),
  });
  directory = await mkdtemp(join(tmpdir(), 'evaluate-steering-'));
});

afterAll(async () => {
  await Promise.all([model?.close(), judge?.close()]);
  if (directory) await rm(directory, { recursive: true, force: true });
});

it('evaluate-steering sweeps verbosity, judges the answers and writes the JSON and HTML report', async () => {
  const { stdout } = await run(
    process.execPath,
    [
      '--import',
      'tsx',
      'evaluate-steering.ts',
      '--base-url',
      model.url,
      '--model',
      'tiny-steerlm',
      '--judge-base-url',
      judge.url,
      '--judge-model',
      'judge',
      '--prompts',
      '2',
      '--temperature',
      '0',
      '--max-tokens',
      '2000',
      '--orderings',
      '300',
      '--bootstrap-rounds',
      '40',
      '--out',
      directory,
    ],
    { cwd: here, encoding: 'utf8' },
  );
  expect(stdout).toMatch(/verbosity: MAE 0\.000, Spearman 1\.000/);
  const report = JSON.parse(await readFile(join(directory, 'evaluation-report.json'), 'utf8'));
  expect(report.adherence.attributes[0]).toMatchObject({ attribute: 'verbosity', meanAbsoluteError: 0, spearman: 1 });
  expect(report.adherence.samples).toHaveLength(10);
  expect(report.elo.ratings[0].model).toBe('verbosity:4');
  expect(report.elo.ratings.at(-1).model).toBe('verbosity:0');
  expect(report.pairwise.summary).toMatchObject({ comparisons: 20, decided: 20, inconsistent: 0, unparseable: 0 });
  expect(report.baseline.percent).toBeGreaterThan(100);
  expect(report.agreement.kappa).toBeCloseTo(1, 10);
  const html = await readFile(join(directory, 'evaluation-report.html'), 'utf8');
  expect(html.startsWith('<!DOCTYPE html>')).toBe(true);
  expect(html.match(/<svg /g)).toHaveLength(4);
  expect(html).toContain('Steering evaluation of tiny-steerlm');
});
