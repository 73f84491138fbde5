/**
 * A batched decode whose key/value cache this session keeps and writes in place: the engine under
 * {@link OnnxruntimeDecoder} by default. It runs a graph exported with `newKeyValuesOnly`, which reads the
 * cache as its `past_key_values.*` inputs (onnxruntime borrows the buffers, no copy) and outputs only each
 * call's new keys/values; they are written into the cache at each row's next slot. So a step costs the
 * attention over the cache, never a copy of it (the standard export's `present.*` is the whole cache,
 * concatenated by the graph and copied again into JavaScript by onnxruntime-node every step).
 *
 * Layout: per layer and key/value, one buffer [row capacity, Hkv, P, D] whose first B rows are the
 * `past_key_values` tensor [B, Hkv, P, D]. Each row's keys are packed at the front of its P slots (row r
 * holds `lengths[r]`), the slots after them masked; P grows in chunks of {@link IN_PLACE_SLOT_CHUNK} when
 * a row needs a slot more, and shrinks when the rows that needed it leave. Rows join (appendRows) by
 * copying the joining session's rows in, and leave (selectRows) by moving the kept rows down.
 */
import type * as Ort from 'onnxruntime-node';
import { InvalidOptionError } from '@steerlm/core';
import type { BatchingDecodeSession } from './decode-session';
import { LOGITS_INDEX_INPUT, type DecodeGeometry, type OrtModule } from './onnxruntime-decode-session';

/** The key slots the in-place cache grows by (a row that needs one slot more makes room for this many). */
export const IN_PLACE_SLOT_CHUNK = 32;

/** A prompt shares its keys/values with the cached one from this many common tokens (shorter prefixes are prefilled again). */
export const PROMPT_PREFIX_MINIMUM = 16;

/**
 * The keys/values of the last prompt prefilled (the longest of its call) on one engine, for the next prompts
 * that start the same way (a chat template, a system prompt): their common prefix is copied instead of
 * prefilled. The keys of a prefix depend only on its tokens and positions, so the copy is what the prefill
 * would compute, up to floating-point rounding of a different call shape.
 */
export class PromptPrefixCache {
  readonly minimum: number;
  #tokens: readonly number[] = [];
  /** Per layer, the key then the value [Hkv, tokens, D]. */
  #values: readonly Float32Array[] = [];

  constructor(minimum = PROMPT_PREFIX_MINIMUM) {
    this.minimum = minimum;
  }

  /** The cached tokens. */
  get tokens(): readonly number[] {
    return this.#tokens;
  }

  /** Per layer, the cached keys then values [Hkv, tokens, D]. */
  get values(): readonly Float32Array[] {
    return this.#values;
  }

  /** Returns how many leading tokens of `prompt` can be copied: the common prefix, less the prompt's last token (its logits are needed), or 0 under the minimum. */
  reusable(prompt: readonly number[]): number {
    const limit = Math.min(prompt.length - 1, this.#tokens.length);
    let common = 0;
    while (common < limit && prompt[common] === this.#tokens[common]) common++;
    return common >= this.minimum ? common : 0;
  }

  store(tokens: readonly number[], values: readonly Float32Array[]): void {
    this.#tokens = [...tokens];
    this.#values = values;
  }
}

/** Options of an {@link OnnxruntimeInPlaceDecodeSession}. */
export interface OnnxruntimeInPlaceDecodeSessionOptions {
  readonly geometry: DecodeGeometry;
  /** The model's positions (`maxPositionEmbeddings`). */
  readonly maxPositions: number;
  /** The key slots the cache grows by (default {@link IN_PLACE_SLOT_CHUNK}). */
  readonly slotChunk?: number;
  /** Where prompts find the keys/values of a prefix they share with an earlier prompt (none: every prompt is prefilled whole). */
  readonly prefixes?: PromptPrefixCache;
  /** Called once when the session is disposed. */
  readonly onDispose?: () => void;
  /** Returns a new, empty session on the same engine and weights (default: one with these options, less onDispose). */
  readonly spawn?: () => OnnxruntimeInPlaceDecodeSession;
}

/**
 * One batched decode on an onnxruntime session of a `newKeyValuesOnly` export (decoderOnnxModel with
 * `lastTokenLogits` and `newKeyValuesOnly`), with the cache written in place (see the file comment).
 */
export class OnnxruntimeInPlaceDecodeSession implements BatchingDecodeSession {
  readonly maxPositions: number;
  readonly #ort: OrtModule;
  readonly #session: Ort.InferenceSession;
  readonly #geometry: DecodeGeometry;
  readonly #chunk: number;
  readonly #prefixes: PromptPrefixCache | undefined;
  readonly #onDispose: () => void;
  readonly #spawn: () => OnnxruntimeInPlaceDecodeSession;
  /** Per layer, the key then the value buffer [row capacity, Hkv, P, D]. */
  #cache: Float32Array[] = [];
  #rowCapacity = 0;
  /** P: the key slots of every row in the buffers. */
  #slots = 0;
  /** The cached keys of each row (packed at the front of its slots). */
  #lengths: number[] = [];
  #nextPositions: number[] = [];
  #disposed = false;
  /** The prompt tokens each row of the last prefill copied from the prefix cache (for tests and load reports). */
  reusedPrefix: readonly number[] = [];

  constructor(ort: OrtModule, session: Ort.InferenceSession, options: OnnxruntimeInPlaceDecodeSessionOptions) {
    this.#ort = ort;
    this.#session = session;
    this.#geometry = options.geometry;
    this.maxPositions = options.maxPositions;
    this.#chunk = options.slotChunk ?? IN_PLACE_SLOT_CHUNK;
    this.#prefixes = options.prefixes;
    if (!Number.isInteger(this.#chunk) || this.#chunk < 1) {
      throw new InvalidOptionError(`slotChunk must be an integer >= 1, got ${this.#chunk}`, { option: 'slotChunk' });
    }
    this.#spawn = options.spawn ?? (() => new OnnxruntimeInPlaceDecodeSession(ort, session, { ...options, onDispose: () => {} }));
    this.#onDispose = options.onDispose ?? (() => {});
  }

  get rows(): number {
    return this.#lengths.length;
  }

  /** The longest row's cached keys (rows are packed: no padding between them). */
  get keySlots(): number {
    return this.#lengths.reduce((longest, length) => Math.max(longest, length), 0);
  }

  /** The key slots every row has room for now (P; for tests and load reports). */
  get slotCapacity(): number {
    return this.#slots;
  }

  spawn(): BatchingDecodeSession {
    return this.#spawn();
  }

  /** The slots for rows up to `longest` keys with room for one more, rounded up to the chunk. */
  #slotsFor(longest: number): number {
    return Math.ceil((longest + 1) / this.#chunk) * this.#chunk;
  }

  /**
   * Makes the buffers hold `rows` rows of `slots` slots, keeping the current rows' keys (the first
   * min(rows, this.rows) of them). Copies only when the slots change or the rows outgrow the capacity.
   */
  #reserve(rows: number, slots: number): void {
    if (rows <= this.#rowCapacity && slots === this.#slots) return;
    const { layers, kvHeads: H, headDim: D } = this.#geometry;
    const capacity = rows <= this.#rowCapacity ? this.#rowCapacity : Math.max(rows, Math.ceil(this.#rowCapacity * 1.5));
    const kept = Math.min(rows, this.rows);
    const cache: Float32Array[] = [];
    for (let index = 0; index < layers * 2; index++) {
      const source = this.#cache[index];
      const target = new Float32Array(capacity * H * slots * D);
      if (source && slots === this.#slots) target.set(source.subarray(0, kept * H * slots * D));
      else if (source) {
        for (let row = 0; row < kept; row++) {
          const used = this.#lengths[row]! * D;
          for (let head = 0; head < H; head++) {
            const from = (row * H + head) * this.#slots * D;
            target.set(source.subarray(from, from + used), (row * H + head) * slots * D);
          }
        }
      }
      cache.push(target);
    }
    this.#cache = cache;
    this.#rowCapacity = capacity;
    this.#slots = slots;
  }

  async appendRows(other: BatchingDecodeSession): Promise<void> {
    if (!(other instanceof OnnxruntimeInPlaceDecodeSession) || other.#session !== this.#session) {
      throw new InvalidOptionError('appendRows needs a session spawned from this one (same engine and weights)', { option: 'session' });
    }
    this.#checkOpen();
    const { kvHeads: H, headDim: D } = this.#geometry;
    const start = this.rows;
    const lengths = [...this.#lengths, ...other.#lengths];
    // Grow for the longer rows; keep the slots when they already fit.
    const longest = lengths.reduce((max, length) => Math.max(max, length), 0);
    this.#reserve(lengths.length, Math.max(this.#slots, this.#slotsFor(longest)));
    const P = this.#slots;
    this.#cache.forEach((target, index) => {
      const source = other.#cache[index]!;
      other.#lengths.forEach((length, row) => {
        for (let head = 0; head < H; head++) {
          const from = (row * H + head) * other.#slots * D;
          target.set(source.subarray(from, from + length * D), ((start + row) * H + head) * P * D);
        }
      });
    });
    this.#lengths = lengths;
    this.#nextPositions = [...this.#nextPositions, ...other.#nextPositions];
    other.dispose();
  }

  async selectRows(rows: readonly number[]): Promise<void> {
    this.#checkOpen();
    for (const row of rows) {
      if (!Number.isInteger(row) || row < 0 || row >= this.rows) {
        throw new InvalidOptionError(`selectRows got row ${row}, outside the ${this.rows} rows decoding`, { option: 'rows' });
      }
    }
    const lengths = rows.map((row) => this.#lengths[row]!);
    const positions = rows.map((row) => this.#nextPositions[row]!);
    const longest = lengths.reduce((max, length) => Math.max(max, length), 0);
    const slots = this.#slotsFor(longest);
    const increasing = rows.every((row, index) => index === 0 || row > rows[index - 1]!);
    if (rows.length === 0) {
      this.#cache = [];
      this.#rowCapacity = 0;
      this.#slots = 0;
    } else if (increasing && slots * 2 > this.#slots) {
      // Move the kept rows down in place (row i comes from rows[i] >= i, so nothing is overwritten before it is read).
      const { kvHeads: H, headDim: D } = this.#geometry;
      const P = this.#slots;
      for (const buffer of this.#cache) {
        rows.forEach((source, row) => {
          if (source === row) return;
          for (let head = 0; head < H; head++) {
            const from = (source * H + head) * P * D;
            buffer.copyWithin((row * H + head) * P * D, from, from + lengths[row]! * D);
          }
        });
      }
    } else {
      // A new order, or far fewer slots needed than held: copy the kept rows into new buffers.
      const { kvHeads: H, headDim: D } = this.#geometry;
      const P = this.#slots;
      const capacity = Math.max(rows.length, 1);
      this.#cache = this.#cache.map((buffer) => {
        const target = new Float32Array(capacity * H * slots * D);
        rows.forEach((source, row) => {
          for (let head = 0; head < H; head++) {
            const from = (source * H + head) * P * D;
            target.set(buffer.subarray(from, from + lengths[row]! * D), (row * H + head) * slots * D);
          }
        });
        return target;
      });
      this.#rowCapacity = capacity;
      this.#slots = slots;
    }
    this.#lengths = lengths;
    this.#nextPositions = positions;
  }

  async prefill(prompts: readonly (readonly number[])[]): Promise<Float32Array[]> {
    this.#checkOpen();
    if (this.rows > 0) throw new InvalidOptionError('prefill runs once, on an empty session (spawn one for joining rows)', { option: 'session' });
    const B = prompts.length;
    const lengths = prompts.map((prompt) => prompt.length);
    const longest = Math.max(...lengths);
    // Rows start empty; a prefix shared with the cached prompt is copied to slots 0..reused−1, the rest of
    // each prompt (less the padding) is prefilled after it.
    const reused = prompts.map((prompt) => this.#prefixes?.reusable(prompt) ?? 0);
    const fresh = lengths.map((length, row) => length - reused[row]!);
    const T = Math.max(...fresh);
    this.#lengths = new Array<number>(B).fill(0);
    this.#reserve(B, this.#slotsFor(longest));
    const P = reused.some((count) => count > 0) ? this.#slots : 0;
    if (P > 0) this.#copyPrefixes(reused);
    const ids = new BigInt64Array(B * T);
    const positions = new BigInt64Array(B * T);
    const mask = new BigInt64Array(B * (P + T));
    prompts.forEach((prompt, row) => {
      mask.fill(1n, row * (P + T), row * (P + T) + reused[row]!);
      for (let t = 0; t < T; t++) {
        positions[row * T + t] = BigInt(reused[row]! + t);
        if (t < fresh[row]!) {
          ids[row * T + t] = BigInt(prompt[reused[row]! + t]!);
          mask[row * (P + T) + P + t] = 1n;
        }
      }
    });
    const logits = await this.#run(B, T, ids, positions, mask, fresh, P);
    this.reusedPrefix = reused;
    this.#nextPositions = lengths.map((length) => Math.min(length, this.maxPositions - 1));
    if (this.#prefixes) this.#storePrefix(prompts, lengths.indexOf(longest));
    return logits;
  }

  /** Copies the first `reused[row]` cached prefix keys/values into each row's slots. */
  #copyPrefixes(reused: readonly number[]): void {
    const { kvHeads: H, headDim: D } = this.#geometry;
    const cached = this.#prefixes!;
    const n = cached.tokens.length;
    const P = this.#slots;
    this.#cache.forEach((target, index) => {
      const source = cached.values[index]!;
      reused.forEach((count, row) => {
        for (let head = 0; head < H; head++) target.set(source.subarray(head * n * D, (head * n + count) * D), (row * H + head) * P * D);
      });
    });
    this.#lengths = [...reused];
  }

  /** Keeps `row`'s prompt and its keys/values as the cached prefix. */
  #storePrefix(prompts: readonly (readonly number[])[], row: number): void {
    const { kvHeads: H, headDim: D } = this.#geometry;
    const n = prompts[row]!.length;
    const P = this.#slots;
    const values = this.#cache.map((buffer) => {
      const copy = new Float32Array(H * n * D);
      for (let head = 0; head < H; head++) copy.set(buffer.subarray((row * H + head) * P * D, ((row * H + head) * P + n) * D), head * n * D);
      return copy;
    });
    this.#prefixes!.store(prompts[row]!, values);
  }

  async step(tokens: readonly (number | undefined)[]): Promise<Float32Array[]> {
    this.#checkOpen();
    const B = tokens.length;
    if (B !== this.rows) throw new InvalidOptionError(`step got ${B} tokens for ${this.rows} rows`, { option: 'tokens' });
    this.#reserve(B, Math.max(this.#slots, this.#slotsFor(this.keySlots)));
    const P = this.#slots;
    const ids = BigInt64Array.from(tokens, (token) => BigInt(token ?? 0));
    const positions = BigInt64Array.from(this.#nextPositions, BigInt);
    // Each row sees its own cached slots and the new token (the attention mask's last column).
    const mask = new BigInt64Array(B * (P + 1));
    this.#lengths.forEach((length, row) => {
      mask.fill(1n, row * (P + 1), row * (P + 1) + length);
      mask[row * (P + 1) + P] = 1n;
    });
    const logits = await this.#run(B, 1, ids, positions, mask, new Array<number>(B).fill(1), P);
    // Finished rows are fed a filler token whose output is ignored; keep them inside the model's positions.
    this.#nextPositions = this.#nextPositions.map((position) => Math.min(position + 1, this.maxPositions - 1));
    return logits;
  }

  /**
   * Runs T new tokens per row against the first `P` cached slots (P = 0: none), writes each row's first
   * `written[row]` new keys/values after its cached ones, and resolves to each row's logits after its
   * last written token.
   */
  async #run(
    B: number,
    T: number,
    ids: BigInt64Array,
    positions: BigInt64Array,
    mask: BigInt64Array,
    written: readonly number[],
    P: number,
  ): Promise<Float32Array[]> {
    const ort = this.#ort;
    const { layers, kvHeads: H, headDim: D } = this.#geometry;
    const feeds: Record<string, Ort.Tensor> = {
      input_ids: new ort.Tensor('int64', ids, [B, T]),
      attention_mask: new ort.Tensor('int64', mask, [B, P + T]),
      position_ids: new ort.Tensor('int64', positions, [B, T]),
      [LOGITS_INDEX_INPUT]: new ort.Tensor(
        'int64',
        BigInt64Array.from(written, (count) => BigInt(count - 1)),
        [B, 1],
      ),
    };
    for (let layer = 0; layer < layers; layer++) {
      ['key', 'value'].forEach((part, index) => {
        const buffer = P > 0 ? this.#cache[layer * 2 + index]!.subarray(0, B * H * P * D) : new Float32Array(0);
        feeds[`past_key_values.${layer}.${part}`] = new ort.Tensor('float32', buffer, [B, H, P, D]);
      });
    }
    const outputs = await this.#session.run(feeds);
    if (this.#disposed) throw new InvalidOptionError('the decode session was disposed during a step', { option: 'session' });
    const S = this.#slots;
    for (let layer = 0; layer < layers; layer++) {
      ['key', 'value'].forEach((part, index) => {
        const fresh = outputs[`present.${layer}.${part}`]!.data as Float32Array;
        const target = this.#cache[layer * 2 + index]!;
        for (let row = 0; row < B; row++) {
          const count = written[row]! * D;
          const at = this.#lengths[row]! * D;
          for (let head = 0; head < H; head++) {
            const from = (row * H + head) * T * D;
            target.set(fresh.subarray(from, from + count), (row * H + head) * S * D + at);
          }
        }
      });
    }
    this.#lengths = this.#lengths.map((length, row) => length + written[row]!);
    const logits = outputs.logits!.data as Float32Array;
    const vocab = outputs.logits!.dims.at(-1)!;
    return Array.from({ length: B }, (_, row) => logits.subarray(row * vocab, (row + 1) * vocab));
  }

  #checkOpen(): void {
    if (this.#disposed) throw new InvalidOptionError('the decode session was disposed', { option: 'session' });
  }

  dispose(): void {
    if (this.#disposed) return;
    this.#disposed = true;
    this.#cache = [];
    this.#lengths = [];
    this.#nextPositions = [];
    this.#onDispose();
  }
}
