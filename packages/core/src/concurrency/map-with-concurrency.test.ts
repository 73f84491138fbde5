import { describe, expect, it } from 'vitest';
import { mapWithConcurrency } from './map-with-concurrency';

const wait = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('mapWithConcurrency', () => {
  it('keeps order and bounds parallelism', async () => {
    let running = 0;
    let peak = 0;
    const results = await mapWithConcurrency([5, 1, 3, 2], 2, async (value) => {
      running += 1;
      peak = Math.max(peak, running);
      await wait(value * 2);
      running -= 1;
      return value * 10;
    });
    expect(results).toEqual([50, 10, 30, 20]);
    expect(peak).toBe(2);
  });

  it('starts nothing after a failure and rejects only once the running calls have settled', async () => {
    const started: number[] = [];
    const finished: number[] = [];
    const run = mapWithConcurrency([0, 1, 2, 3, 4, 5], 2, async (value) => {
      started.push(value);
      if (value === 0) throw new Error('first failed');
      await wait(20);
      finished.push(value);
      return value;
    });
    await expect(run).rejects.toThrow('first failed');
    // Item 1 was running when item 0 failed: it finished before the rejection; item 2.. never started.
    expect(started).toEqual([0, 1]);
    expect(finished).toEqual([1]);
  });

  it('treats a concurrency below one as one and handles no items', async () => {
    expect(await mapWithConcurrency([], 4, async () => 1)).toEqual([]);
    expect(await mapWithConcurrency([1, 2], 0, async (value) => value + 1)).toEqual([2, 3]);
  });
});
