import { describe, expect, it } from 'vitest';
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
