import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ContextLengthError, OASST, type LanguageModel } from '@steerlm/core';
import { createCharacterNGramModel } from '@steerlm/test-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BootstrapPrompt } from './bootstrap-prompt';
import { truncatePromptLeft } from './fit-prompt';
import { runBootstrap, type BootstrapRecord } from './run-bootstrap';
import { generateSteerLM2Data } from './steerlm2-data';
import { TEMPLATE_TEXTS } from './testing/annotated-conversations';
import { lengthScorer } from './testing/length-scorer';

const LIMIT = 400;
const inner = createCharacterNGramModel({ texts: TEMPLATE_TEXTS, order: 6, modelId: 'tiny' });
/** The n-gram model, refusing (as a local model does) any prompt over LIMIT characters, one token each. */
const limited: LanguageModel = {
  ...inner,
  modelId: 'limited',
  generate: async (prompt, options) => {
    if (prompt.length > LIMIT)
      throw new ContextLengthError(`the prompt is ${prompt.length} tokens, more than the model's ${LIMIT} positions`, {
        tokens: prompt.length,
        positions: LIMIT,
      });
    return inner.generate(prompt, options);
  },
  logProbability: async (prompt, continuation) => inner.logProbability(prompt, continuation),
};

const short = (id: string): BootstrapPrompt => ({ id, turns: [{ role: 'user', text: `say hi (${id})` }] });
const prompts: BootstrapPrompt[] = [
  short('a'),
  { id: 'long-single', turns: [{ role: 'user', text: `${'old words '.repeat(60)}what is the end?` }] },
  short('b'),
  {
    id: 'long-turns',
    turns: [
      { role: 'user', text: 'first question '.repeat(30) },
      { role: 'assistant', text: 'first answer' },
      { role: 'user', text: 'and now?' },
    ],
  },
];
const combinations = [{ quality: 4, toxicity: 0, humor: 1, creativity: 2 }];
const sampling = { maxTokens: 20, temperature: 0.9, topK: 50 };

let folder: string;
beforeAll(async () => {
  folder = await mkdtemp(join(tmpdir(), 'fit-prompt-'));
});
afterAll(() => rm(folder, { recursive: true, force: true }));

async function records(path: string): Promise<BootstrapRecord[]> {
  return (await readFile(path, 'utf8'))
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as BootstrapRecord);
}

describe('prompts beyond the model context', () => {
  it('are skipped by default, counted and named in the summary, and the run goes on', async () => {
    const output = join(folder, 'skip.jsonl');
    const summary = await runBootstrap({ prompts, combinations, model: limited, scorer: lengthScorer, schema: OASST, output, sampling });
    expect(summary).toMatchObject({ written: 2, total: 4, skipped: 2, truncated: 0, skippedPromptIds: ['long-single', 'long-turns'] });
    expect((await records(output)).map((record) => record.prompt_id).sort()).toEqual(['a', 'b']);
  });

  it('are cut from the left with truncate-left: the oldest exchange first, then the start of the last turn', async () => {
    const output = join(folder, 'truncate.jsonl');
    const summary = await runBootstrap({
      prompts,
      combinations,
      model: limited,
      scorer: lengthScorer,
      schema: OASST,
      output,
      sampling,
      longPrompts: 'truncate-left',
    });
    expect(summary).toMatchObject({ written: 4, skipped: 0, truncated: 2 });
    const byId = new Map((await records(output)).map((record) => [record.prompt_id, record]));
    // The record holds the prompt the model answered: the old exchange dropped …
    expect(
      byId
        .get('long-turns')!
        .conversations.map((turn) => turn.value)
        .slice(0, -1),
    ).toEqual(['and now?']);
    // … and the end of a single long turn kept.
    const single = byId.get('long-single')!.conversations[0]!.value;
    expect(single.endsWith('what is the end?')).toBe(true);
    expect(single.length).toBeLessThan(400);
    expect(byId.get('a')!.conversations[0]!.value).toBe('say hi (a)');
  });

  it('fail the run with longPrompts fail, as before', async () => {
    await expect(
      runBootstrap({
        prompts,
        combinations,
        model: limited,
        scorer: lengthScorer,
        schema: OASST,
        output: join(folder, 'fail.jsonl'),
        sampling,
        longPrompts: 'fail',
      }),
    ).rejects.toThrow(/more than the model's 400 positions/);
  });

  it('are skipped by the SteerLM 2.0 data generation too', async () => {
    const summary = await generateSteerLM2Data({
      prompts,
      combinations,
      policy: limited,
      reference: limited,
      scorer: lengthScorer,
      schema: OASST,
      output: join(folder, 's2.jsonl'),
      samplesPerPrompt: 2,
      sampling,
    });
    expect(summary).toMatchObject({ written: 2, skipped: 2, skippedPromptIds: ['long-single', 'long-turns'] });
  });

  it('truncatePromptLeft gives up when nothing is left to cut', () => {
    const overrun = new ContextLengthError('too long', { tokens: 10_000, positions: 1 });
    expect(truncatePromptLeft({ id: 'x', turns: [{ role: 'user', text: 'ab' }] }, overrun)).toBeUndefined();
  });
});
