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
    // 100 epochs (200 steps, about 20 s on 2 cores): enough to steer; at 40 humor 4 gives no joke yet.
    const output = execFileSync(process.execPath, ['--import', 'tsx', 'train-from-scratch.ts', '--epochs', '100', '--out', out], {
      cwd: here,
      encoding: 'utf8',
    });
    const summary = JSON.parse(output.split('\n').find((line) => line.startsWith('{"firstLoss"'))!) as { firstLoss: number; finalLoss: number };
    expect(summary.finalLoss).toBeLessThan(summary.firstLoss / 10);
    const answer = (humor: number): string => JSON.parse(new RegExp(`^humor ${humor}: (".*")$`, 'm').exec(output)?.[1] ?? 'null') as string;
    // Steered: humor 0 answers plainly, humor 4 adds one of the training jokes (owl's is the third).
    expect(answer(0)).toBe('The owl is an animal.');
    expect(answer(4)).toMatch(/^The owl is an animal\. (Ha ha, what a clown!|It tells puns all day\.|Ha ha, it laughs at itself\.)$/);
    expect(existsSync(join(out, 'loss-curve.svg'))).toBe(true);
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});
