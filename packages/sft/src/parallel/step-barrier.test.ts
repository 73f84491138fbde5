import { describe, expect, it } from 'vitest';
import { TrainingError } from '@steerlm/core';
import { BarrierAbortedError, STEP_BARRIER_BYTES, StepBarrier } from './step-barrier';

describe('StepBarrier', () => {
  it('lets the last of its parties through at once, round after round', () => {
    const barrier = new StepBarrier(new SharedArrayBuffer(STEP_BARRIER_BYTES), 1);
    for (let round = 0; round < 3; round++) barrier.arriveAndWait();
    expect(barrier.abortedBy).toBeNull();
  });

  it('throws a TrainingError naming the party that aborted it, in every thread that shares it', () => {
    const buffer = new SharedArrayBuffer(STEP_BARRIER_BYTES);
    const barrier = new StepBarrier(buffer, 2);
    barrier.abort(1);
    // A second abort keeps the first party's name.
    new StepBarrier(buffer, 2).abort(2);
    const seen = new StepBarrier(buffer, 2);
    expect(seen.abortedBy).toBe(1);
    expect(() => seen.arriveAndWait()).toThrow(BarrierAbortedError);
    expect(() => seen.arriveAndWait()).toThrow(TrainingError);
    expect(() => seen.arriveAndWait()).toThrow(/party 1 failed/);
  });
  // Waking a thread that waits in the barrier is tested with real workers in data-parallel-trainer.test.ts.
});
