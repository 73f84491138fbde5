import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';

const here = fileURLToPath(new URL('.', import.meta.url));

it('steer-a-prompt prints the byte-exact SteerLM prompt from the built @steerlm/core', () => {
  const output = execFileSync(
    process.execPath,
    ['--import', 'tsx', 'steer-a-prompt.ts', 'Tell me a joke about cats.', 'quality=4,toxicity=0,humor=4,creativity=2'],
    {
      cwd: here,
      encoding: 'utf8',
    },
  );
  const [meta, ...rest] = output.split('\n');
  expect(JSON.parse(meta!)).toEqual({ label: 'quality:4,toxicity:0,humor:4,creativity:2', stop: ['<extra_id_1>'] });
  expect(rest.join('\n')).toContain(
    "<extra_id_0>System\nA chat between a curious user and an artificial intelligence assistant. The assistant gives helpful, detailed, and polite answers to the user's questions.\n<extra_id_1>User\nTell me a joke about cats.\n<extra_id_1>Assistant\n<extra_id_2>quality:4,toxicity:0,humor:4,creativity:2\n",
  );
  expect(output.trimEnd().endsWith('<extra_id_2>quality:4,toxicity:0,humor:4,creativity:2,formality:2')).toBe(true);
});
