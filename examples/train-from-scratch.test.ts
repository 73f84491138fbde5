import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';

const here = fileURLToPath(new URL('.', import.meta.url));

it('train-from-scratch trains a BPE tokenizer and a decoder, then steers it', () => {
  const out = mkdtempSync(join(tmpdir(), 'steerlm-example-'));
  try {
    const output = execFileSync(process.execPath, ['--import', 'tsx', 'train-from-scratch.ts', '--epochs', '40', '--out', out], { cwd: here, encoding: 'utf8' });
    const summary = JSON.parse(output.split('\n').find((line) => line.startsWith('{"firstLoss"'))!) as { firstLoss: number; finalLoss: number };
    expect(summary.finalLoss).toBeLessThan(summary.firstLoss / 2);
    expect(output).toMatch(/humor 0: ".*"/);
    expect(output).toMatch(/humor 4: ".*"/);
    expect(existsSync(join(out, 'loss-curve.svg'))).toBe(true);
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});
