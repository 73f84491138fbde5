/**
 * One batched decode in progress, as the shared sampling loop ({@link generateTokens}) drives it: an
 * engine (tfjs, onnxruntime) holds the key/value cache and returns logits rows; the loop samples from
 * them, so sampling, stops and seeds behave the same whatever the engine.
 */
export interface DecodeSession {
  /** The model's positions: a row ends when its next token would be fed past the last one. */
  readonly maxPositions: number;
  /**
   * Runs the prompts (right-padded together, with a key mask over the padding) and resolves to one
   * logits row [V] per prompt: the logits after its last token. Called once, first.
   */
  prefill(prompts: readonly (readonly number[])[]): Promise<Float32Array[]>;
  /**
   * Feeds one new token per row (undefined for a finished row, fed as a filler whose output is ignored)
   * at each row's next position and resolves to the next logits row of every row.
   */
  step(tokens: readonly (number | undefined)[]): Promise<Float32Array[]>;
  /** Frees the key/value cache. */
  dispose(): void;
}

/**
 * A {@link DecodeSession} whose rows can change between steps (continuous batching): requests join by
 * prefilling a {@link BatchingDecodeSession.spawn | spawned} session and appending its rows, and leave
 * by being dropped. Positions are explicit and key slots masked, so a row decodes as it does alone.
 */
export interface BatchingDecodeSession extends DecodeSession {
  /** The rows decoding now. */
  readonly rows: number;
  /**
   * True when a call may be made before the previous one has resolved: calls run in the order they were
   * made (an engine in a worker thread, which queues them). The continuous batcher then posts a turn's
   * select, step, prefill and append at once instead of waiting for each.
   */
  readonly queuesCalls?: boolean;
  /** The cached key slots (the longest row, plus the padding the rows' masks leave between them). */
  readonly keySlots: number;
  /** Returns a new, empty session on the same engine and weights, to prefill joining rows in. */
  spawn(): BatchingDecodeSession;
  /**
   * Appends the rows of `other` (prefilled, from this session's {@link BatchingDecodeSession.spawn}) after
   * this session's rows; the one with fewer key slots is padded in front with masked slots. `other` is
   * disposed.
   */
  appendRows(other: BatchingDecodeSession): Promise<void>;
  /** Keeps only `rows`, in that order, and drops the key slots no kept row uses. */
  selectRows(rows: readonly number[]): Promise<void>;
}
