/**
 * One batched decode on an onnxruntime session (onnxruntime-node, or onnxruntime-web in a browser): the
 * engine under {@link OnnxruntimeDecoder} and the browser playground, driven by the shared sampling loop
 * ({@link generateTokens}). Neither tfjs nor Node is imported here, so browser bundles can take it.
 */
import type * as Ort from 'onnxruntime-node';
import { InvalidOptionError, ModelFormatError } from '@steerlm/core';
import type { BatchingDecodeSession } from './decode-session';

/** The onnxruntime module in use: onnxruntime-node, or onnxruntime-web (same API, typed as the Node one). */
export type OrtModule = typeof Ort;
/** An onnxruntime inference session. */
export type OrtSession = Ort.InferenceSession;

/** The input of the `lastTokenLogits` graph that picks each row's logits position (see decoderOnnxModel). */
export const LOGITS_INDEX_INPUT = 'logits_index';

/** The cache layout and vocabulary of an exported decoder. */
export interface DecodeGeometry {
  layers: number;
  kvHeads: number;
  headDim: number;
  vocab: number;
}

/** Options of an {@link OnnxruntimeDecodeSession}. */
export interface OnnxruntimeDecodeSessionOptions {
  readonly geometry: DecodeGeometry;
  /** The model's positions (`maxPositionEmbeddings`). */
  readonly maxPositions: number;
  /**
   * Write `present.*` and the logits into buffers this session keeps (two per cache tensor, used in
   * turn) instead of letting onnxruntime allocate outputs every step. Default false.
   */
  readonly preallocate?: boolean;
  /** Called once when the session is disposed. */
  readonly onDispose?: () => void;
  /** Returns a new, empty session on the same engine and weights (default: one with these options, less onDispose). */
  readonly spawn?: () => OnnxruntimeDecodeSession;
}

/**
 * Resolves to the decode geometry of an exported decoder session from its input and output metadata:
 * the `past_key_values.{i}.key` inputs [B, Hkv, P, D] and the `logits` output's last dimension (V).
 * Throws a ModelFormatError naming `file` when the graph is not one of our decoder exports.
 */
export function decodeGeometryOfSession(session: Ort.InferenceSession, file = 'onnx/model.onnx'): DecodeGeometry {
  const pastKeys = session.inputNames.filter((name) => /^past_key_values\.\d+\.key$/.test(name));
  const metadata = (name: string, list: readonly Ort.InferenceSession.ValueMetadata[]) => list.find((entry) => entry.name === name);
  const key = metadata('past_key_values.0.key', session.inputMetadata);
  const logits = metadata('logits', session.outputMetadata);
  const keyShape = key?.isTensor ? key.shape : undefined;
  const logitsShape = logits?.isTensor ? logits.shape : undefined;
  const kvHeads = keyShape?.[1];
  const headDim = keyShape?.[3];
  const vocab = logitsShape?.at(-1);
  if (
    pastKeys.length === 0 ||
    typeof kvHeads !== 'number' ||
    typeof headDim !== 'number' ||
    typeof vocab !== 'number' ||
    !session.inputNames.includes('input_ids')
  ) {
    throw new ModelFormatError(
      'the ONNX model is not a decoder with a key/value cache (input_ids, past_key_values.{i}.key/value [B, Hkv, P, D], logits [.., V])',
      {
        file,
        hint: 'load the onnx/model.onnx that "steerlm export --format onnx" writes',
      },
    );
  }
  return { layers: pastKeys.length, kvHeads, headDim, vocab };
}

/**
 * One batched decode on an onnxruntime session of an exported decoder: the cache is the previous step's
 * `present.*` outputs. Rows join (appendRows) and leave (selectRows) between steps by copying the cache
 * into a new layout. Graphs with a `logits_index` input (the in-memory export) compute one logits row per
 * row; graphs without it (`exportOnnx`'s, for transformers.js) return [B, T, V] and the row is picked here.
 */
export class OnnxruntimeDecodeSession implements BatchingDecodeSession {
  readonly maxPositions: number;
  readonly #ort: OrtModule;
  readonly #session: Ort.InferenceSession;
  readonly #geometry: DecodeGeometry;
  readonly #onDispose: () => void;
  readonly #spawn: () => OnnxruntimeDecodeSession;
  /** Whether the graph takes `logits_index` (logits [B, V]) rather than returning every position ([B, T, V]). */
  readonly #logitsIndexInput: boolean;
  #past: Record<string, Ort.Tensor> = {};
  /** The attention mask [B, L] so far, row-major. */
  #mask = new BigInt64Array(0);
  #keys = 0;
  #nextPositions: number[] = [];
  #disposed = false;
  readonly #preallocate: boolean;
  /** Per cache output, the two buffers `present.*` is written into in turn (the other holds the past). */
  readonly #arenas = new Map<string, [Float32Array, Float32Array]>();
  #turn: 0 | 1 = 0;

  constructor(ort: OrtModule, session: Ort.InferenceSession, options: OnnxruntimeDecodeSessionOptions) {
    this.#preallocate = options.preallocate ?? false;
    this.#ort = ort;
    this.#session = session;
    this.#geometry = options.geometry;
    this.maxPositions = options.maxPositions;
    this.#spawn = options.spawn ?? (() => new OnnxruntimeDecodeSession(ort, session, { ...options, onDispose: () => {} }));
    this.#onDispose = options.onDispose ?? (() => {});
    this.#logitsIndexInput = session.inputNames.includes(LOGITS_INDEX_INPUT);
  }

  get rows(): number {
    return this.#nextPositions.length;
  }

  get keySlots(): number {
    return this.#keys;
  }

  spawn(): BatchingDecodeSession {
    return this.#spawn();
  }

  async appendRows(other: BatchingDecodeSession): Promise<void> {
    if (!(other instanceof OnnxruntimeDecodeSession) || other.#session !== this.#session) {
      throw new InvalidOptionError('appendRows needs a session spawned from this one (same engine and weights)', { option: 'session' });
    }
    this.#checkOpen();
    const parts = [
      { from: this as OnnxruntimeDecodeSession, rows: this.rows },
      { from: other, rows: other.rows },
    ];
    const B = parts[0]!.rows + parts[1]!.rows;
    const L = Math.max(this.#keys, other.#keys);
    const { kvHeads: H, headDim: D } = this.#geometry;
    // The session with fewer key slots is padded in front with masked ones (positions are explicit).
    const mask = new BigInt64Array(B * L);
    let row = 0;
    for (const { from, rows } of parts) {
      const K = from.#keys;
      for (let index = 0; index < rows; index++, row++) mask.set(from.#mask.subarray(index * K, (index + 1) * K), row * L + L - K);
    }
    this.#relayout(B, L, (name, target) => {
      target.fill(0, 0, B * H * L * D);
      let offset = 0;
      for (const { from, rows } of parts) {
        const K = from.#keys;
        const source = rows > 0 ? (from.#past[name]!.data as Float32Array) : undefined;
        for (let index = 0; index < rows * H; index++) {
          target.set(source!.subarray(index * K * D, (index + 1) * K * D), ((offset * H + index) * L + L - K) * D);
        }
        offset += rows;
      }
    });
    this.#mask = mask;
    this.#nextPositions = [...this.#nextPositions, ...other.#nextPositions];
    other.dispose();
  }

  async selectRows(rows: readonly number[]): Promise<void> {
    this.#checkOpen();
    const K = this.#keys;
    if (rows.length === this.rows && rows.every((row, index) => row === index)) {
      if (this.#usedSlotRuns(rows).reduce((sum, [start, end]) => sum + end - start, 0) === K) return;
    }
    if (rows.length === 0) {
      this.#past = {};
      this.#mask = new BigInt64Array(0);
      this.#keys = 0;
      this.#nextPositions = [];
      return;
    }
    // Slots no kept row attends to (rows that left, padding in front of late joiners) are dropped.
    const runs = this.#usedSlotRuns(rows);
    const L = runs.reduce((sum, [start, end]) => sum + end - start, 0);
    const B = rows.length;
    const { kvHeads: H, headDim: D } = this.#geometry;
    const mask = new BigInt64Array(B * L);
    rows.forEach((source, row) => {
      let at = row * L;
      for (const [start, end] of runs) {
        mask.set(this.#mask.subarray(source * K + start, source * K + end), at);
        at += end - start;
      }
    });
    this.#relayout(B, L, (name, target) => {
      const data = this.#past[name]!.data as Float32Array;
      rows.forEach((source, row) => {
        for (let head = 0; head < H; head++) {
          const from = (source * H + head) * K * D;
          let at = (row * H + head) * L * D;
          for (const [start, end] of runs) {
            target.set(data.subarray(from + start * D, from + end * D), at);
            at += (end - start) * D;
          }
        }
      });
    });
    this.#mask = mask;
    this.#nextPositions = rows.map((row) => this.#nextPositions[row]!);
  }

  /** Returns the [start, end) runs of key slots that at least one of `rows` attends to. */
  #usedSlotRuns(rows: readonly number[]): [number, number][] {
    const K = this.#keys;
    const runs: [number, number][] = [];
    for (let slot = 0; slot < K; slot++) {
      if (!rows.some((row) => this.#mask[row * K + slot] !== 0n)) continue;
      const last = runs.at(-1);
      if (last && last[1] === slot) last[1] = slot + 1;
      else runs.push([slot, slot + 1]);
    }
    return runs;
  }

  /**
   * Gives every cache tensor a new layout [B, H, L, D]: `fill` writes each (named by its `past_key_values.*`
   * input) into a buffer while the old tensors are still readable. With preallocation the buffer is this
   * turn's arena (the one the next step would have written) and the turn flips, so the next step writes
   * over the old layout.
   */
  #relayout(B: number, L: number, fill: (name: string, target: Float32Array) => void): void {
    const { layers, kvHeads: H, headDim: D } = this.#geometry;
    const size = B * H * L * D;
    const past: Record<string, Ort.Tensor> = {};
    for (let layer = 0; layer < layers; layer++) {
      for (const part of ['key', 'value']) {
        const target = this.#preallocate ? this.#arena(`present.${layer}.${part}`, size) : new Float32Array(size);
        fill(`past_key_values.${layer}.${part}`, target);
        past[`past_key_values.${layer}.${part}`] = new this.#ort.Tensor('float32', target.subarray(0, size), [B, H, L, D]);
      }
    }
    if (this.#preallocate) this.#turn = this.#turn === 0 ? 1 : 0;
    this.#past = past;
    this.#keys = L;
  }

  #checkOpen(): void {
    if (this.#disposed) throw new InvalidOptionError('the decode session was disposed', { option: 'session' });
  }

  async prefill(prompts: readonly (readonly number[])[]): Promise<Float32Array[]> {
    const B = prompts.length;
    const lengths = prompts.map((prompt) => prompt.length);
    const longest = Math.max(...lengths);
    const ids = new BigInt64Array(B * longest);
    const positions = new BigInt64Array(B * longest);
    this.#mask = new BigInt64Array(B * longest);
    prompts.forEach((prompt, row) => {
      for (let t = 0; t < longest; t++) {
        positions[row * longest + t] = BigInt(t);
        if (t < prompt.length) {
          ids[row * longest + t] = BigInt(prompt[t]!);
          this.#mask[row * longest + t] = 1n;
        }
      }
    });
    this.#keys = longest;
    const { layers, kvHeads, headDim } = this.#geometry;
    for (let layer = 0; layer < layers; layer++) {
      for (const part of ['key', 'value']) {
        this.#past[`past_key_values.${layer}.${part}`] = new this.#ort.Tensor('float32', new Float32Array(0), [B, kvHeads, 0, headDim]);
      }
    }
    const rows = await this.#run(
      B,
      longest,
      ids,
      positions,
      lengths.map((length) => length - 1),
    );
    this.#nextPositions = lengths.map((length) => Math.min(length, this.maxPositions - 1));
    return rows;
  }

  async step(tokens: readonly (number | undefined)[]): Promise<Float32Array[]> {
    const B = tokens.length;
    const ids = BigInt64Array.from(tokens, (token) => BigInt(token ?? 0));
    const positions = BigInt64Array.from(this.#nextPositions, BigInt);
    const keys = this.#keys + 1;
    const mask = new BigInt64Array(B * keys);
    for (let row = 0; row < B; row++) {
      mask.set(this.#mask.subarray(row * this.#keys, (row + 1) * this.#keys), row * keys);
      mask[row * keys + this.#keys] = 1n;
    }
    this.#mask = mask;
    this.#keys = keys;
    const rows = await this.#run(B, 1, ids, positions, new Array<number>(B).fill(0));
    // Finished rows are fed a filler token whose output is ignored; keep them inside the model's positions.
    this.#nextPositions = this.#nextPositions.map((position) => Math.min(position + 1, this.maxPositions - 1));
    return rows;
  }

  /** Runs T new tokens per row; resolves to each row's logits at `logitsIndex[row]` and keeps the new cache. */
  async #run(B: number, T: number, ids: BigInt64Array, positions: BigInt64Array, logitsIndex: number[]): Promise<Float32Array[]> {
    if (this.#disposed) throw new InvalidOptionError('the decode session was disposed', { option: 'session' });
    const ort = this.#ort;
    const feeds: Record<string, Ort.Tensor> = {
      input_ids: new ort.Tensor('int64', ids, [B, T]),
      attention_mask: new ort.Tensor('int64', this.#mask, [B, this.#keys]),
      position_ids: new ort.Tensor('int64', positions, [B, T]),
      ...(this.#logitsIndexInput ? { [LOGITS_INDEX_INPUT]: new ort.Tensor('int64', BigInt64Array.from(logitsIndex, BigInt), [B, 1]) } : {}),
      ...this.#past,
    };
    const { layers, kvHeads, headDim } = this.#geometry;
    const past: Record<string, Ort.Tensor> = {};
    let logits: Ort.Tensor;
    if (this.#preallocate) {
      const fetches: Record<string, Ort.Tensor> = {};
      const size = B * kvHeads * this.#keys * headDim;
      for (let layer = 0; layer < layers; layer++) {
        for (const part of ['key', 'value']) {
          const name = `present.${layer}.${part}`;
          const arena = this.#arena(name, size);
          fetches[name] = past[`past_key_values.${layer}.${part}`] = new ort.Tensor('float32', arena.subarray(0, size), [B, kvHeads, this.#keys, headDim]);
        }
      }
      const { vocab } = this.#geometry;
      fetches.logits = logits = this.#logitsIndexInput
        ? new ort.Tensor('float32', new Float32Array(B * vocab), [B, vocab])
        : new ort.Tensor('float32', new Float32Array(B * T * vocab), [B, T, vocab]);
      await this.#session.run(feeds, fetches);
      this.#turn = this.#turn === 0 ? 1 : 0;
    } else {
      const outputs = await this.#session.run(feeds);
      for (let layer = 0; layer < layers; layer++) {
        for (const part of ['key', 'value']) past[`past_key_values.${layer}.${part}`] = outputs[`present.${layer}.${part}`] as Ort.Tensor;
      }
      logits = outputs.logits as Ort.Tensor;
      // The new cache replaces the one just fed: free it (on WebGPU, with `present.*` kept as GPU buffers, its buffers).
      for (const tensor of Object.values(this.#past)) tensor.dispose();
    }
    this.#past = past;
    const data = logits.data as Float32Array;
    const vocab = logits.dims.at(-1)!;
    // [B, V] rows, or row `row`'s position `logitsIndex[row]` of [B, T, V].
    const start = (row: number) => (this.#logitsIndexInput ? row : row * T + logitsIndex[row]!) * vocab;
    return Array.from({ length: B }, (_, row) => data.subarray(start(row), start(row) + vocab));
  }

  /** Returns this turn's buffer for cache output `name`, grown (by half again, at least) to hold `size` values. */
  #arena(name: string, size: number): Float32Array {
    let pair = this.#arenas.get(name);
    if (!pair) this.#arenas.set(name, (pair = [new Float32Array(0), new Float32Array(0)]));
    if (pair[this.#turn].length < size) pair[this.#turn] = new Float32Array(Math.ceil(Math.max(size, pair[this.#turn].length * 1.5)));
    return pair[this.#turn];
  }

  dispose(): void {
    if (this.#disposed) return;
    this.#arenas.clear();
    this.#disposed = true;
    for (const tensor of Object.values(this.#past)) tensor.dispose();
    this.#past = {};
    this.#onDispose();
  }
}
