import { describe, expect, it } from 'vitest';
import { conditionPrompt, OASST, type GenerateOptions } from '@steerlm/core';
import { startSteeringServer } from '../server';
import { runCommandInProcess } from '../testing/run-command-in-process';

describe('steerlm generate', () => {
  it('streams the steered answer to stdout and reports model and backend on stderr', async () => {
    const run = await runCommandInProcess(['generate', '--model', 'attribute-echo', 'Tell me a joke.', '--attr', 'humor=4,toxicity=0', '--schema', 'oasst']);
    expect(run.code).toBe(0);
    expect(run.stdout).toBe('Steered to quality four, toxicity zero, humor four, creativity zero.\n');
    expect(run.stderr).toContain('model attribute-echo · backend none');
    expect(run.stderr).toContain('attributes quality:4,toxicity:0,humor:4,creativity:0');
  });

  it('prints one JSON document with --json', async () => {
    const run = await runCommandInProcess(['generate', '--model', 'attribute-echo', 'Hi', '--attr', 'humor:1', '--schema', 'oasst', '--json']);
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({
      model: 'attribute-echo',
      label: 'quality:4,toxicity:0,humor:1,creativity:0',
      text: expect.stringContaining('humor one'),
    });
    expect(run.stderr).toBe('');
  });
});

describe('steerlm generate --guidance', () => {
  it('sends the guided rows (here through an OpenAI-compatible endpoint) and interpolates fractional --attr values', async () => {
    const calls: { prompt: string; mixPrompts: GenerateOptions['mixPrompts'] }[] = [];
    const server = await startSteeringServer({
      model: {
        specificationVersion: 'v1',
        modelId: 'steerlm',
        generate: async (prompt, options) => {
          calls.push({ prompt, mixPrompts: options?.mixPrompts });
          return { text: 'ok', finishReason: 'stop', usage: { promptTokens: 1, completionTokens: 1 } };
        },
        logProbability: async () => ({ logProbability: 0, tokens: 0 }),
      },
      port: 0,
      log: () => {},
    });
    try {
      const label = (humor?: number) =>
        conditionPrompt({ prompt: 'Hi', schema: OASST, ...(humor !== undefined ? { attributes: { ...OASST.defaults(), humor } } : {}) });
      const base = ['generate', '--model', `${server.url}/v1`, 'Hi', '--schema', 'oasst', '--json'];
      const guided = await runCommandInProcess([...base, '--attr', 'humor=4', '--guidance', '2', '--guidance-neutral', 'humor=0']);
      expect(guided.code, guided.stderr).toBe(0);
      expect(JSON.parse(guided.stdout)).toMatchObject({ guidance: { scale: 2, neutral: { humor: 0 } }, label: 'quality:4,toxicity:0,humor:4,creativity:0' });
      const unlabelled = await runCommandInProcess([...base, '--attr', 'humor=4', '--guidance', '0.5']);
      const interpolated = await runCommandInProcess([...base, '--attr', 'humor=2.25']);
      expect(JSON.parse(interpolated.stdout)).toMatchObject({ label: 'quality:4,toxicity:0,humor:2.25,creativity:0' });
      const plain = await runCommandInProcess([...base, '--attr', 'humor=4', '--guidance', '1']);
      expect([unlabelled.code, interpolated.code, plain.code]).toEqual([0, 0, 0]);
      expect(calls).toEqual([
        { prompt: label(4), mixPrompts: [{ prompt: label(0), weight: -1 }] },
        { prompt: label(4), mixPrompts: [{ prompt: label(), weight: 0.5 }] },
        { prompt: label(2), mixPrompts: [{ prompt: label(3), weight: 0.25 }] },
        { prompt: label(4), mixPrompts: undefined },
      ]);
    } finally {
      await server.close();
    }
  });

  it('refuses --guidance-neutral without --guidance, and bad neutral values', async () => {
    const lone = await runCommandInProcess(['generate', '--model', 'attribute-echo', 'Hi', '--guidance-neutral', 'humor=0']);
    expect([lone.code, lone.stderr]).toEqual([2, expect.stringContaining('--guidance-neutral needs --guidance')]);
    const bad = await runCommandInProcess(['generate', '--model', 'attribute-echo', 'Hi', '--guidance', '2', '--guidance-neutral', 'humor=9']);
    expect([bad.code, bad.stderr]).toEqual([2, expect.stringMatching(/--guidance-neutral "humor=9": .*attribute "humor" is 9, outside 0\.\.4/)]);
  });
});
