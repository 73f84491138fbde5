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
