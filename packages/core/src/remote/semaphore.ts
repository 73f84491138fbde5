import { InvalidOptionError } from '../errors';

/** Bounds how many tasks run at once: `acquire` waits for a free slot and returns its release. */
export class Semaphore {
  readonly limit: number;
  #active = 0;
  readonly #waiting: (() => void)[] = [];

  constructor(limit: number) {
    if (!Number.isInteger(limit) || limit < 1) {
      throw new InvalidOptionError(`concurrency must be an integer >= 1, got ${String(limit)}`, { option: 'concurrency' });
    }
    this.limit = limit;
  }

  /** Returns how many slots are taken now. */
  get active(): number {
    return this.#active;
  }

  /** Resolves with a function releasing the slot once one is free; rejects when `signal` aborts first. */
  acquire(signal?: AbortSignal): Promise<() => void> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    let released = false;
    const release = () => {
      if (released) return;
      released = true;
      this.#active -= 1;
      this.#waiting.shift()?.();
    };
    if (this.#active < this.limit) {
      this.#active += 1;
      return Promise.resolve(release);
    }
    return new Promise((resolve, reject) => {
      const grant = () => {
        signal?.removeEventListener('abort', onAbort);
        this.#active += 1;
        resolve(release);
      };
      const onAbort = () => {
        const index = this.#waiting.indexOf(grant);
        if (index !== -1) this.#waiting.splice(index, 1);
        reject(signal!.reason);
      };
      this.#waiting.push(grant);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }
}
