/**
 * Writes the records of items worked on concurrently in the items' order: an item's records wait (in
 * memory) until every item before it has handed over its own, so the output's order is the input's
 * whatever order the work finishes in. Handing over never waits for earlier items, so workers keep going.
 */
export class InOrderWrites<T> {
  readonly #write: (record: T) => Promise<void>;
  readonly #ready = new Map<number, readonly T[]>();
  #next = 0;
  #flushing: Promise<void> = Promise.resolve();

  constructor(write: (record: T) => Promise<void>) {
    this.#write = write;
  }

  /**
   * Hands over item `index`'s records (none for an item skipped, already written or failed: every index
   * from 0 must be handed over once, in any order). Resolves when the records that became writable are
   * written; rejects if a write fails.
   */
  deliver(index: number, records: readonly T[]): Promise<void> {
    this.#ready.set(index, records);
    this.#flushing = this.#flushing.then(async () => {
      while (this.#ready.has(this.#next)) {
        const batch = this.#ready.get(this.#next)!;
        this.#ready.delete(this.#next);
        this.#next += 1;
        for (const record of batch) await this.#write(record);
      }
    });
    return this.#flushing;
  }
}
