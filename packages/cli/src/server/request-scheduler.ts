import { InvalidOptionError } from '@steerlm/core';
import { ServerRequestError } from './server-request-error';

export interface RequestSchedulerOptions {
  /** Requests that run at once (≥ 1). */
  readonly maxConcurrent: number;
  /** Requests that may wait for a slot (≥ 0); more are refused with 429. */
  readonly maxQueued: number;
}

interface Waiter {
  resolve: (release: () => void) => void;
  reject: (reason: unknown) => void;
  onAbort: () => void;
  signal: AbortSignal | undefined;
}

/** Bounded concurrency with a bounded FIFO queue: the server's backpressure. */
export class RequestScheduler {
  readonly maxConcurrent: number;
  readonly maxQueued: number;
  #active = 0;
  readonly #waiters: Waiter[] = [];
  #idleListeners: (() => void)[] = [];

  constructor(options: RequestSchedulerOptions) {
    if (!Number.isSafeInteger(options.maxConcurrent) || options.maxConcurrent < 1) {
      throw new InvalidOptionError(`concurrency must be an integer ≥ 1, got ${String(options.maxConcurrent)}`, { option: 'concurrency' });
    }
    if (!Number.isSafeInteger(options.maxQueued) || options.maxQueued < 0) {
      throw new InvalidOptionError(`queue size must be an integer ≥ 0, got ${String(options.maxQueued)}`, { option: 'queue' });
    }
    this.maxConcurrent = options.maxConcurrent;
    this.maxQueued = options.maxQueued;
  }

  /** Returns how many requests are running. */
  get active(): number {
    return this.#active;
  }

  /** Returns how many requests wait for a slot. */
  get queued(): number {
    return this.#waiters.length;
  }

  /**
   * Returns a release function once a slot is free; throws a 429 ServerRequestError at once when the
   * queue is full, and rejects with the signal's reason when the signal aborts while waiting.
   */
  acquire(signal?: AbortSignal): Promise<() => void> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    if (this.#active < this.maxConcurrent) {
      this.#active += 1;
      return Promise.resolve(this.#releaser());
    }
    if (this.#waiters.length >= this.maxQueued) {
      return Promise.reject(
        new ServerRequestError(`the server is busy: ${this.#active} requests running and ${this.#waiters.length} queued`, {
          status: 429,
          type: 'rate_limit_error',
          hint: 'retry after a second, or start the server with a larger --concurrency or --queue',
          headers: { 'retry-after': '1' },
        }),
      );
    }
    return new Promise((resolve, reject) => {
      const waiter: Waiter = {
        resolve,
        reject,
        signal,
        onAbort: () => {
          const index = this.#waiters.indexOf(waiter);
          if (index !== -1) this.#waiters.splice(index, 1);
          reject(signal?.reason);
          this.#notifyIdle();
        },
      };
      signal?.addEventListener('abort', waiter.onAbort, { once: true });
      this.#waiters.push(waiter);
    });
  }

  /** Returns a promise that resolves when nothing runs and nothing waits. */
  idle(): Promise<void> {
    if (this.#active === 0 && this.#waiters.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idleListeners.push(resolve));
  }

  #releaser(): () => void {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.#waiters.shift();
      if (next) {
        next.signal?.removeEventListener('abort', next.onAbort);
        next.resolve(this.#releaser());
        return;
      }
      this.#active -= 1;
      this.#notifyIdle();
    };
  }

  #notifyIdle(): void {
    if (this.#active !== 0 || this.#waiters.length !== 0) return;
    const listeners = this.#idleListeners;
    this.#idleListeners = [];
    for (const listener of listeners) listener();
  }
}
