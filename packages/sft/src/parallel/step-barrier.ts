/**
 * A reusable barrier over shared memory for the threads of one data-parallel step, which any thread
 * (a worker that failed, or the trainer when a worker died) can abort: every thread waiting in it,
 * or arriving later, then throws instead of waiting for a party that will never come. Three Int32
 * words: arrivals in the current round, the round number (the futex the waiters sleep on), and the
 * abort flag (0, or the aborting party + 1: workers are parties 0 … K-1, the trainer aborts as K).
 */
import { TrainingError } from '@steerlm/core';

const ARRIVED = 0;
const ROUND = 1;
const ABORTED = 2;

/** The bytes of a barrier's shared words. */
export const STEP_BARRIER_BYTES = 3 * Int32Array.BYTES_PER_ELEMENT;

/** The error a thread throws when the barrier it waits in was aborted by another party. */
export class BarrierAbortedError extends TrainingError {
  constructor(readonly abortedBy: number) {
    super(`the data-parallel step was abandoned because party ${abortedBy} failed`);
  }
}

/** A barrier of `parties` threads over `buffer` (STEP_BARRIER_BYTES, zeroed when created). */
export class StepBarrier {
  private readonly words: Int32Array;

  constructor(
    buffer: SharedArrayBuffer,
    readonly parties: number,
    /** How long one wait sleeps before it checks the abort flag again (a lost wake-up costs at most this). */
    private readonly pollMs = 1000,
  ) {
    this.words = new Int32Array(buffer, 0, 3);
  }

  /** Returns once all parties have arrived; throws BarrierAbortedError when the barrier is or gets aborted. */
  arriveAndWait(): void {
    this.throwIfAborted();
    const round = Atomics.load(this.words, ROUND);
    if (Atomics.add(this.words, ARRIVED, 1) === this.parties - 1) {
      // The last arrival: nobody can arrive for the next round before the round number moves.
      Atomics.store(this.words, ARRIVED, 0);
      Atomics.add(this.words, ROUND, 1);
      Atomics.notify(this.words, ROUND);
      return;
    }
    while (Atomics.load(this.words, ROUND) === round) {
      this.throwIfAborted();
      Atomics.wait(this.words, ROUND, round, this.pollMs);
    }
    this.throwIfAborted();
  }

  /** Marks the barrier aborted by `party` and wakes every waiter (callable from any thread, the main one included). */
  abort(party: number): void {
    Atomics.compareExchange(this.words, ABORTED, 0, party + 1);
    Atomics.add(this.words, ROUND, 1);
    Atomics.notify(this.words, ROUND);
  }

  /** The party that aborted the barrier, or null. */
  get abortedBy(): number | null {
    const flag = Atomics.load(this.words, ABORTED);
    return flag === 0 ? null : flag - 1;
  }

  private throwIfAborted(): void {
    const party = this.abortedBy;
    if (party !== null) throw new BarrierAbortedError(party);
  }
}
