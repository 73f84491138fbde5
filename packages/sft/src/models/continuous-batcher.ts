import { InvalidOptionError, seededRandom } from '@steerlm/core';
import type { BatchingDecodeSession } from './decode-session';
import { DecoderModel } from './decoder-model';
import { mixLogitRows } from './mix-logit-rows';
import { sampleToken, validateSamplingOptions, type SamplingOptions } from './sampling';
import { TfjsDecodeSession } from './tfjs-decode-session';

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
 * Where a {@link ContinuousBatcher} gets its decode: a model (decoded with tfjs) or a function that
 * resolves to a new, empty session of any engine (`LocalLanguageModel` passes its onnxruntime or tfjs
 * one). A new session is asked for whenever the batch starts from empty, so new weights take effect then.
 */
export type BatchingDecodeSource = DecoderModel | (() => BatchingDecodeSession | Promise<BatchingDecodeSession>);

/**
 * Continuous batching over one decoder: requests join and leave one running KV-cache decode batch at
 * token boundaries. The requests that arrive during a step are prefilled together in a session spawned
 * from the running one (a separate call between steps), then their rows are appended to the running
 * cache; a finished, aborted or abandoned request's rows are dropped and unused key slots compacted. Each
 * request samples with its own settings and seed from its own rows (mixed by weight when it has
 * several), and positions are explicit with padding masked, so its tokens are those it gets decoded alone
 * (up to floating-point rounding, which a different batch shape can move).
 */
export class ContinuousBatcher {
  readonly maxRows: number;
  readonly #source: () => BatchingDecodeSession | Promise<BatchingDecodeSession>;
  /** The running batch's decode (undefined while no request is running). */
  #session: BatchingDecodeSession | undefined;
  #running: Entry[] = [];
  #pending: Entry[] = [];
  /** The entries admitted in this turn, until they join #running (a failing turn fails them too). */
  #joining: Entry[] = [];
  /** Entries with new tokens or an end their consumer has not been woken for yet (see #flushWakes). */
  readonly #toWake = new Set<Entry>();
  #looping = false;
  /** The largest number of rows that decoded together so far (for tests and load reports). */
  peakRows = 0;
  /** Decode steps of the running batch, and prefill calls of joining requests, so far (for load reports). */
  readonly counts = { steps: 0, prefills: 0, prefillMs: 0, stepMs: 0 };

  constructor(source: BatchingDecodeSource, options: ContinuousBatcherOptions = {}) {
    this.#source = source instanceof DecoderModel ? () => new TfjsDecodeSession(source) : source;
    this.maxRows = options.maxRows ?? 32;
    if (!Number.isInteger(this.maxRows) || this.maxRows < 1)
      throw new InvalidOptionError(`maxRows must be an integer >= 1, got ${this.maxRows}`, { option: 'maxRows' });
  }

  /** The running batch's decode session, while one runs (for tests and load reports). */
  get session(): BatchingDecodeSession | undefined {
    return this.#session;
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
    this.#toWake.add(entry);
  }

  #finish(entry: Entry, error?: unknown): void {
    entry.done = true;
    if (error !== undefined) entry.error = error;
    this.#toWake.add(entry);
  }

  /**
   * Wakes the consumers of the entries that got tokens or ended. The loop calls it right after it has
   * asked the engine for the next step: the consumers (a server streaming the tokens) then run while the
   * step computes, in parallel when the engine runs in a worker thread, instead of before it is asked for.
   */
  #flushWakes(): void {
    for (const entry of this.#toWake) entry.wake?.();
    this.#toWake.clear();
  }

  /** Samples the next token of every entry from its rows of `logits` (rows in entry order). */
  #sample(entries: readonly Entry[], logits: readonly Float32Array[], maxPositions: number): void {
    const lastPosition = maxPositions - 1;
    let offset = 0;
    for (const entry of entries) {
      const rows = entry.request.rows;
      const first = offset;
      offset += rows.length;
      if (entry.done) continue;
      const options = entry.request.options;
      // One row of weight 1 (no guidance) samples its logits as they are, with no group to build.
      const mixed =
        rows.length === 1 && rows[0]!.weight === 1
          ? logits[first]!
          : mixLogitRows(logits, [rows.map((row, index) => ({ row: first + index, weight: row.weight }))])[0]!;
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

  /** Prefills the rows of `entries` in a session of their own (spawned from the running one) and samples their first tokens. */
  async #prefill(entries: readonly Entry[]): Promise<BatchingDecodeSession> {
    const prompts = entries.flatMap((entry) => entry.request.rows.map((row) => row.ids));
    const session = this.#session ? this.#session.spawn() : await this.#source();
    try {
      const started = performance.now();
      const logits = await session.prefill(prompts);
      this.counts.prefills++;
      this.counts.prefillMs += performance.now() - started;
      this.#sample(entries, logits, session.maxPositions);
      return session;
    } catch (error) {
      session.dispose();
      throw error;
    }
  }

  /** The tokens a step feeds `entries`: each entry's last token, once per row it has. */
  #feedOf(entries: readonly Entry[]): number[] {
    const feed: number[] = [];
    for (const entry of entries) {
      const last = entry.produced.at(-1) ?? 0;
      for (let row = 0; row < entry.request.rows.length; row++) feed.push(last);
    }
    return feed;
  }

  /** One decode step of the running entries: feeds each its last token and samples the next. */
  async #step(session: BatchingDecodeSession): Promise<void> {
    const started = performance.now();
    const stepped = session.step(this.#feedOf(this.#running));
    this.#flushWakes();
    const logits = await stepped;
    this.counts.steps++;
    this.counts.stepMs += performance.now() - started;
    this.#sample(this.#running, logits, session.maxPositions);
  }

  /** Drops the rows of finished, cancelled and aborted entries from the running batch (the session goes when it empties). */
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
    if (kept.length === 0) {
      this.#session?.dispose();
      this.#session = undefined;
    } else {
      await this.#session!.selectRows(kept);
    }
  }

  /** Takes the pending entries that fit in the free rows (in arrival order); they are #joining until they run. */
  #admit(): Entry[] {
    const admitted: Entry[] = [];
    this.#joining = admitted;
    let rows = this.activeRows;
    while (this.#pending.length > 0 && rows + this.#pending[0]!.request.rows.length <= this.maxRows) {
      const entry = this.#pending.shift()!;
      rows += entry.request.rows.length;
      admitted.push(entry);
    }
    return admitted;
  }

  /**
   * One turn on a session that queues its calls (BatchingDecodeSession.queuesCalls: a worker-thread
   * engine): the leaving rows' select, the running rows' step, the joining rows' prefill and their append
   * are posted at once, then the consumers are woken, then the answers are awaited. The engine runs them
   * back to back, with no round trip to this thread between them. Tokens are those of #loop's turn (each
   * request samples its own rows, with its own random stream).
   */
  async #pipelinedTurn(session: BatchingDecodeSession): Promise<void> {
    const dropping = this.#dropFinished();
    const running = [...this.#running];
    const admitted = this.#admit();
    let stepped: Promise<Float32Array[]> | undefined;
    const started = performance.now();
    if (running.length > 0) stepped = session.step(this.#feedOf(running));
    // The running session may have emptied in the drop: then the joining rows start a new one.
    const target = this.#session;
    let joining: BatchingDecodeSession | undefined;
    let prefilled: Promise<Float32Array[]> | undefined;
    let appended: Promise<void> | undefined;
    if (admitted.length > 0) {
      joining = target ? target.spawn() : await this.#source();
      prefilled = joining.prefill(admitted.flatMap((entry) => entry.request.rows.map((row) => row.ids)));
      // A failed prefill leaves its rows empty; they are appended anyway and dropped at the next turn.
      if (target) appended = target.appendRows(joining);
    }
    // A call that fails after an earlier one failed is not awaited (the turn throws at the first): mark them all handled.
    for (const call of [dropping, stepped, prefilled, appended]) call?.catch(() => {});
    this.#flushWakes();
    await dropping;
    // The engine runs the calls back to back: the prefill's time starts when the step's answer comes.
    let prefillStarted = started;
    if (stepped) {
      const logits = await stepped;
      prefillStarted = performance.now();
      this.counts.steps++;
      this.counts.stepMs += prefillStarted - started;
      this.#sample(running, logits, session.maxPositions);
    }
    if (prefilled && joining) {
      let first: Float32Array[] | undefined;
      try {
        first = await prefilled;
        this.counts.prefills++;
        this.counts.prefillMs += performance.now() - prefillStarted;
        this.#sample(admitted, first, joining.maxPositions);
      } catch (error) {
        // A prefill that fails (e.g. out of memory) fails its own requests; the running batch goes on.
        for (const entry of admitted) this.#finish(entry, error);
      }
      if (appended) {
        await appended;
        this.#running.push(...admitted);
      } else if (first) {
        this.#session = joining;
        this.#running.push(...admitted);
      } else joining.dispose();
    }
    this.peakRows = Math.max(this.peakRows, this.activeRows);
    if (this.#running.length === 0) this.#flushWakes();
  }

  async #loop(): Promise<void> {
    try {
      for (;;) {
        const session = this.#session;
        if (session?.queuesCalls === true) {
          await this.#pipelinedTurn(session);
          if (this.#running.length === 0 && this.#pending.length === 0) break;
          continue;
        }
        await this.#dropFinished();
        if (this.#running.length === 0 && this.#pending.length === 0) break;
        if (this.#running.length > 0) {
          await this.#step(this.#session!);
          await this.#dropFinished();
        }
        const admitted = this.#admit();
        if (admitted.length > 0) {
          let fresh: BatchingDecodeSession | undefined;
          try {
            fresh = await this.#prefill(admitted);
          } catch (error) {
            // A prefill that fails (e.g. out of memory) fails its own requests; the running batch goes on.
            for (const entry of admitted) this.#finish(entry, error);
          }
          if (fresh) {
            if (this.#session) await this.#session.appendRows(fresh);
            else this.#session = fresh;
            this.#running.push(...admitted);
          }
        }
        this.peakRows = Math.max(this.peakRows, this.activeRows);
        // With rows running, the next step wakes the consumers once it is asked for (#step).
        if (this.#running.length === 0) this.#flushWakes();
        // Let timers and sockets (the server, new requests) run between steps: setImmediate where there
        // is one (setTimeout waits a millisecond or more, longer than a small model's step).
        await new Promise<void>((resolve) => (typeof setImmediate === 'function' ? setImmediate(resolve) : setTimeout(resolve, 0)));
      }
    } catch (error) {
      for (const entry of [...this.#running, ...this.#joining, ...this.#pending]) if (!entry.done) this.#finish(entry, error);
      this.#running = [];
      this.#joining = [];
      this.#pending = [];
      this.#session?.dispose();
      this.#session = undefined;
    } finally {
      this.#looping = false;
      this.#flushWakes();
    }
    // A request that arrived while the loop was ending starts it again.
    if (this.#pending.length > 0) this.#start();
  }

  /** Frees the running session; requests still running end with an error. */
  dispose(): void {
    const error = new InvalidOptionError('the batcher was disposed', { option: 'batcher' });
    for (const entry of [...this.#running, ...this.#joining, ...this.#pending]) if (!entry.done) this.#finish(entry, error);
    this.#flushWakes();
    this.#running = [];
    this.#joining = [];
    this.#pending = [];
    this.#session?.dispose();
    this.#session = undefined;
  }
}
