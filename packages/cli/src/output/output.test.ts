import { PassThrough } from 'node:stream';
import { ProgressTracker } from '@steerlm/core';
import { describe, expect, it } from 'vitest';
import { formatDuration } from './format-duration';
import { formatTable } from './format-table';
import { ProgressDisplay } from './progress-display';

function capture(isTTY: boolean): { stream: PassThrough & { isTTY: boolean; columns: number }; text: () => string } {
  const stream = Object.assign(new PassThrough(), { isTTY, columns: 120, cursorTo: () => true, clearLine: () => true, moveCursor: () => true });
  const chunks: string[] = [];
  stream.on('data', (chunk: Buffer) => chunks.push(chunk.toString()));
  return { stream, text: () => chunks.join('') };
}

describe('output', () => {
  it('formats aligned tables with numbers right-aligned', () => {
    expect(
      formatTable([
        { attribute: 'humor', mae: 0.5 },
        { attribute: 'toxicity', mae: 12.25, extra: null },
      ]),
    ).toBe(['attribute    mae  extra', '─────────  ─────  ─────', 'humor      0.500  –', 'toxicity   12.25  –', ''].join('\n'));
    expect(formatDuration(850)).toBe('850ms');
    expect(formatDuration(245_000)).toBe('4m05s');
  });

  it('prints throttled progress lines with rate and ETA when not on a terminal', () => {
    const { stream, text } = capture(false);
    const display = new ProgressDisplay({ stream, lineIntervalMs: 0 });
    let now = 0;
    const tracker = new ProgressTracker('annotate', { total: 4, unit: 'records', listeners: [display.listener], now: () => now });
    now = 1000;
    tracker.step(1, 2, { loss: 0.25 });
    tracker.emit({ type: 'checkpoint', job: 'annotate', step: 1, path: 'runs/a/step-1' });
    now = 2000;
    tracker.step(2, 2);
    tracker.end();
    display.stop();
    expect(text()).toBe(
      [
        'annotate: started (4 records)',
        // Records done (2 a step), not the step's index.
        'annotate 2/4 records · 2 records/s · ETA 1.0s loss=0.250',
        'annotate step 1: checkpoint runs/a/step-1',
        // The last step says no "ETA 0ms".
        'annotate 4/4 records · 2 records/s',
        'annotate: done in 2.0s',
        '',
      ].join('\n'),
    );
  });

  it('draws a cli-progress bar with rate and ETA on a terminal', () => {
    const { stream, text } = capture(true);
    const display = new ProgressDisplay({ stream });
    let now = 0;
    const tracker = new ProgressTracker('train', { total: 10, unit: 'steps', listeners: [display.listener], now: () => now });
    now = 500;
    tracker.step(5, 5, { loss: 1.5 });
    tracker.end();
    display.stop();
    expect(text()).toMatch(/train \|[█░]+\| 5\/10 steps \| 10 steps\/s \| ETA 500ms loss=1.50/);
    expect(text()).toContain('train: done in 500ms');
  });
});
