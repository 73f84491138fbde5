import { InvalidOptionError, seededRandom } from '@steerlm/core';
import { prefillLogits, readLogitRows, stepLogits } from './decode-steps';
import type { DecoderModel } from './decoder-model';
import { KeyValueCache } from './key-value-cache';
import { mixLogitRows } from './mix-logit-rows';
import { sampleToken, validateSamplingOptions, type SamplingOptions } from './sampling';

/** The settings of one request of a continuous batch: its own sampling, stops and cancellation. */
export interface BatchedRequestOptions extends SamplingOptions {
  maxTokens: number;
  seed?: number;
  /** Token ids that end the request (e.g. EOS); the id is still yielded. */
  stopTokenIds?: readonly number[];
  /** Called after each token; return true to end the request (e.g. a stop string appeared). */
  shouldStop?: (tokens: readonly number[]) => boolean;
  /** Aborting ends the request at the next token boundary and frees its rows. */
  signal?: AbortSignal;
}

/** One request: its prompt rows (one, or several whose logits mix: attribute guidance) and settings. */
export interface BatchedRequest {
  readonly rows: readonly { readonly ids: readonly number[]; readonly weight: number }[];
  readonly options: BatchedRequestOptions;
}

export interface ContinuousBatcherOptions {
  /** The most rows decoding at once (requests beyond it wait for rows to free up; default 32). */
  maxRows?: number;
}

interface Entry {
  readonly request: BatchedRequest;
  readonly random: () => number;
  readonly seen: Set<number>;
  readonly produced: number[];
  readonly stopIds: ReadonlySet<number>;
  readonly longest: number;
  /** Tokens decoded and not yet taken by the consumer. */
  readonly queue: number[];
  done: boolean;
  cancelled: boolean;
  error: unknown;
  wake: (() => void) | undefined;
}

/**
 * Continuous batching over one decoder: requests join and leave one running KV-cache decode batch at
 * token boundaries. A joining request's prompt rows are prefilled apart, then appended to the running
 * cache (KeyValueCache.appendRows); a finished, aborted or abandoned request's rows are dropped
 * (selectRows) and unused key slots compacted. Each request samples with its own settings and seed from
 * its own rows (mixed by weight when it has several), so its tokens do not depend on its neighbours
 * beyond floating-point rounding.
 */
export class ContinuousBatcher {
  readonly model: DecoderModel;
  readonly maxRows: number;
  #cache = new KeyValueCache();
  #running: Entry[] = [];
  #pending: Entry[] = [];
  #looping = false;
  /** The largest number of rows that decoded together so far (for tests and load reports). */
  peakRows = 0;

  constructor(model: DecoderModel, options: ContinuousBatcherOptions = {}) {
    this.model = model;
    this.maxRows = options.maxRows ?? 32;
    if (!Number.isInteger(this.maxRows) || this.maxRows < 1)
      throw new InvalidOptionError(`maxRows must be an integer >= 1, got ${this.maxRows}`, { option: 'maxRows' });
  }

  /** Returns the number of rows decoding now. */
  get activeRows(): number {
    return this.#running.reduce((sum, entry) => sum + entry.request.rows.length, 0);
  }

  /**
   * Yields the request's new tokens as the running batch decodes them. Leaving the loop early (return)
   * or aborting `options.signal` frees the request's rows at the next token boundary.
   */
  async *generate(request: BatchedRequest): AsyncGenerator<number> {
    validateSamplingOptions(request.options);
    const rows = request.rows;
    if (rows.length === 0) throw new InvalidOptionError('a batched request needs at least one prompt row', { option: 'rows' });
    if (rows.length > this.maxRows) {
      throw new InvalidOptionError(`the request has ${rows.length} rows, more than the batch's ${this.maxRows}`, { option: 'rows' });
    }
    for (const row of rows) {
      if (row.ids.length === 0) throw new InvalidOptionError('a prompt row needs at least one token', { option: 'rows' });
      if (!Number.isFinite(row.weight)) throw new InvalidOptionError(`row weights must be finite, got ${row.weight}`, { option: 'rows' });
    }
    if (request.options.maxTokens < 1 || request.options.signal?.aborted) return;
    const entry: Entry = {
      request,
      random: seededRandom(request.options.seed ?? Date.now()),
      seen: new Set(rows[0]!.ids),
      produced: [],
      stopIds: new Set(request.options.stopTokenIds ?? []),
      longest: Math.max(...rows.map((row) => row.ids.length)),
      queue: [],
      done: false,
      cancelled: false,
      error: undefined,
      wake: undefined,
    };
    this.#pending.push(entry);
    this.#start();
    try {
      for (;;) {
        if (entry.queue.length > 0) {
          yield entry.queue.shift()!;
          continue;
        }
        if (entry.error !== undefined) throw entry.error;
        if (entry.done) return;
        await new Promise<void>((resolve) => (entry.wake = resolve));
        entry.wake = undefined;
      }
    } finally {
      // A consumer that stops early (a stop string, a client gone) frees its rows at the next boundary.
      if (!entry.done) entry.cancelled = true;
    }
  }

  #start(): void {
    if (this.#looping) return;
    this.#looping = true;
    void this.#loop();
  }

  #emit(entry: Entry, token: number): void {
    entry.queue.push(token);
    entry.wake?.();
  }

  #finish(entry: Entry, error?: unknown): void {
    entry.done = true;
    if (error !== undefined) entry.error = error;
    entry.wake?.();
  }

  /** Samples the next token of every entry from its rows of `logits` (rows in entry order, from `start`). */
  #sample(entries: readonly Entry[], logits: readonly Float32Array[]): void {
    const lastPosition = this.model.config.maxPositionEmbeddings - 1;
    let offset = 0;
    for (const entry of entries) {
      const rows = entry.request.rows;
      const group = rows.map((row, index) => ({ row: offset + index, weight: row.weight }));
      offset += rows.length;
      if (entry.done) continue;
      const options = entry.request.options;
      const mixed = mixLogitRows(logits, [group])[0]!;
      const token = sampleToken(mixed, entry.seen, options, entry.random);
      entry.produced.push(token);
      entry.seen.add(token);
      this.#emit(entry, token);
      if (
        entry.stopIds.has(token) ||
        options.shouldStop?.(entry.produced) === true ||
        entry.produced.length >= options.maxTokens ||
        entry.longest + entry.produced.length - 1 > lastPosition
      ) {
        this.#finish(entry);
      }
    }
  }

  /** Prefills the rows of `entries` in a cache of their own and samples their first tokens. */
  async #prefill(entries: readonly Entry[]): Promise<KeyValueCache> {
    const prompts = entries.flatMap((entry) => entry.request.rows.map((row) => row.ids));
    const cache = new KeyValueCache();
    try {
      const logits = await readLogitRows(prefillLogits(this.model, prompts, cache));
      const lastPosition = this.model.config.maxPositionEmbeddings - 1;
      cache.nextPositions = prompts.map((prompt) => Math.min(prompt.length, lastPosition));
      this.#sample(entries, logits);
      return cache;
    } catch (error) {
      cache.dispose();
      throw error;
    }
  }

  /** One decode step of the running entries: feeds each its last token and samples the next. */
  async #step(): Promise<void> {
    const feed = this.#running.flatMap((entry) => entry.request.rows.map(() => entry.produced.at(-1) ?? 0));
    const logits = await readLogitRows(stepLogits(this.model, feed, this.#cache));
    const lastPosition = this.model.config.maxPositionEmbeddings - 1;
    this.#cache.nextPositions = this.#cache.nextPositions.map((position) => Math.min(position + 1, lastPosition));
    this.#sample(this.#running, logits);
  }

  /** Drops the rows of finished, cancelled and aborted entries from the running batch. */
  async #dropFinished(): Promise<void> {
    for (const entry of this.#running) {
      if (!entry.done && (entry.cancelled || entry.request.options.signal?.aborted)) this.#finish(entry);
    }
    for (const entry of this.#pending) {
      if (entry.cancelled || entry.request.options.signal?.aborted) this.#finish(entry);
    }
    this.#pending = this.#pending.filter((entry) => !entry.done);
    if (this.#running.every((entry) => !entry.done)) return;
    const kept: number[] = [];
    let offset = 0;
    for (const entry of this.#running) {
      const count = entry.request.rows.length;
      if (!entry.done) for (let index = 0; index < count; index++) kept.push(offset + index);
      offset += count;
    }
    this.#running = this.#running.filter((entry) => !entry.done);
    this.#cache.selectRows(kept);
    await this.#cache.compact();
  }

  /** Takes the pending entries that fit in the free rows (in arrival order). */
  #admit(): Entry[] {
    const admitted: Entry[] = [];
    let rows = this.activeRows;
    while (this.#pending.length > 0 && rows + this.#pending[0]!.request.rows.length <= this.maxRows) {
      const entry = this.#pending.shift()!;
      rows += entry.request.rows.length;
      admitted.push(entry);
    }
    return admitted;
  }

  async #loop(): Promise<void> {
    try {
      for (;;) {
        await this.#dropFinished();
        if (this.#running.length === 0 && this.#pending.length === 0) break;
        if (this.#running.length > 0) {
          await this.#step();
          await this.#dropFinished();
        }
        const admitted = this.#admit();
        if (admitted.length > 0) {
          let fresh: KeyValueCache | undefined;
          try {
            fresh = await this.#prefill(admitted);
          } catch (error) {
            // A prefill that fails (e.g. out of memory) fails its own requests; the running batch goes on.
            for (const entry of admitted) this.#finish(entry, error);
          }
          if (fresh) {
            this.#cache.appendRows(fresh);
            this.#running.push(...admitted);
          }
        }
        this.peakRows = Math.max(this.peakRows, this.activeRows);
        // Let timers and sockets (the server, new requests) run between steps.
        await new Promise<void>((resolve) => setTimeout(resolve, 0));
      }
    } catch (error) {
      for (const entry of [...this.#running, ...this.#pending]) this.#finish(entry, error);
      this.#running = [];
      this.#pending = [];
      this.#cache.dispose();
      this.#cache = new KeyValueCache();
    } finally {
      this.#looping = false;
    }
    // A request that arrived while the loop was ending starts it again.
    if (this.#pending.length > 0) this.#start();
  }

  /** Frees the cache; requests still running end with an error. */
  dispose(): void {
    const error = new InvalidOptionError('the batcher was disposed', { option: 'batcher' });
    for (const entry of [...this.#running, ...this.#pending]) this.#finish(entry, error);
    this.#running = [];
    this.#pending = [];
    this.#cache.dispose();
  }
}
