import { describe, expect, it } from 'vitest';
import type { ProgressEvent } from './progress-events';
import { ProgressTracker } from './progress-tracker';

describe('ProgressTracker', () => {
  it('emits start, steps with rate and ETA, and end; a throwing listener does not stop the job', () => {
    let now = 0;
    const events: ProgressEvent[] = [];
    const tracker = new ProgressTracker('annotate', {
      total: 10,
      unit: 'records',
      now: () => now,
      listeners: [
        () => {
          throw new Error('bad listener');
        },
        (event) => events.push(event),
        undefined,
      ],
    });
    now = 1000;
    tracker.step(1, 2, { loss: 0.5 });
    now = 2000;
    tracker.step(2, 2);
    tracker.end({ written: 4 });
    expect(events.map((event) => event.type)).toEqual(['job-start', 'step-end', 'step-end', 'job-end']);
    expect(events[1]).toMatchObject({ step: 1, rate: 2, etaMs: 4000, metrics: { loss: 0.5 }, elapsedMs: 1000 });
    expect(events[2]).toMatchObject({ rate: 2, etaMs: 3000 });
    expect(events[3]).toMatchObject({ type: 'job-end', elapsedMs: 2000, summary: { written: 4 } });
  });
});
