import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';

const here = fileURLToPath(new URL('.', import.meta.url));

it('hf-folder-workflow loads, steers, LoRA-tunes, merges and exports a folder that transformers.js decodes as we do', () => {
  const output = execFileSync(
    process.execPath,
    ['--import', 'tsx', 'hf-folder-workflow.ts', '--hidden', '32', '--layers', '2', '--steps', '3', '--new-tokens', '8'],
    {
      cwd: here,
      encoding: 'utf8',
      timeout: 280_000,
    },
  );
  const lines = output.trimEnd().split('\n');
  for (const step of ['0. wrote', '1. loaded', '2. steered before', '3. LoRA: 3 steps', '4. exported', '5. transformers.js']) {
    expect(lines.some((line) => line.startsWith(step))).toBe(true);
  }
  const summary = JSON.parse(lines.at(-1)!) as { files: string[]; steps: number; firstLoss: number; finalLoss: number; tokensAgree: boolean };
  expect(summary.files).toEqual(['onnx/model.onnx', 'config.json', 'generation_config.json', 'tokenizer.json', 'tokenizer_config.json']);
  expect(summary.steps).toBe(3);
  expect(Number.isFinite(summary.finalLoss)).toBe(true);
  expect(summary.finalLoss).toBeLessThan(summary.firstLoss);
  expect(summary.tokensAgree).toBe(true);
});
