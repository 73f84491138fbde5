/**
 * The onnxruntime decode engine: our own ONNX export of a {@link DecoderModel} (built in memory from
 * the loaded weights) run by onnxruntime-node, with the key/value cache kept as onnxruntime tensors.
 * The shared sampling loop ({@link generateTokens}) drives it through {@link DecodeSession}.
 */
import type * as Ort from 'onnxruntime-node';
import { BackendError, InvalidOptionError } from '@steerlm/core';
import { cacheGeometry, decoderOnnxModel, LOGITS_INDEX_INPUT } from '../export/decoder-onnx-graph';
import { EXTERNAL_DATA_THRESHOLD_BYTES } from '../export/export-onnx';
import { encodeOnnxModel } from '../io/onnx';
import type { BatchingDecodeSession } from './decode-session';
import type { DecoderModel } from './decoder-model';

/** The onnxruntime module in use (onnxruntime-node; the browser path, onnxruntime-web, is not wired yet). */
type OrtModule = typeof Ort;

let ortModule: Promise<OrtModule | undefined> | undefined;

/**
 * Resolves to onnxruntime-node, or undefined where it cannot load (a browser, a platform without its
 * native binary). Loaded once, lazily, so importing @steerlm/sft never needs it.
 */
export function loadOnnxruntime(): Promise<OrtModule | undefined> {
  ortModule ??= (async () => {
    if (typeof process === 'undefined' || !process.versions?.node) return undefined;
    try {
      const loaded = (await import('onnxruntime-node')) as OrtModule & { default?: OrtModule };
      return loaded.InferenceSession ? loaded : loaded.default;
    } catch {
      return undefined;
    }
  })();
  return ortModule;
}

/**
 * Returns whether `model` fits the in-memory export (one protobuf, which stops at 2 GiB): its float32
 * weights are at most {@link EXTERNAL_DATA_THRESHOLD_BYTES}, where exportOnnx also switches to external data.
 */
export function fitsInMemoryExport(model: DecoderModel): boolean {
  return model.parameterCount() * 4 <= EXTERNAL_DATA_THRESHOLD_BYTES;
}

/** Options of {@link OnnxruntimeDecoder.create}. */
export interface OnnxruntimeDecoderOptions {
  /** onnxruntime intra-op threads (default: onnxruntime's, one per physical core). */
  intraOpNumThreads?: number;
  /**
   * Let idle intra-op threads spin while waiting for work (onnxruntime's default is on). Off by default
   * here: decoding runs many small graph calls, and spinning burns CPU time between them for little
   * wall-time gain.
   */
  allowSpinning?: boolean;
  /**
   * Let onnxruntime write each step's cache (`present.*`) and logits straight into buffers this engine
   * keeps (two per cache tensor, used in turn, grown geometrically), instead of allocating new outputs
   * and copying them into JavaScript every step. Default true.
   */
  preallocateCache?: boolean;
}

/**
 * Returns what identifies the current weights of `model`: every parameter variable and the buffer it
 * holds (tfjs gives a variable a new buffer on each `assign`, so training steps, `mergeLora`, loading a
 * checkpoint and resizing embeddings all change it), plus the adapters.
 */
export function weightsFingerprint(model: DecoderModel): readonly object[] {
  const parts: object[] = [];
  for (const variable of model.parameters.values()) parts.push(variable, (variable as unknown as { dataId: object }).dataId);
  for (const adapter of model.adapters.values()) parts.push(adapter.a, adapter.b);
  return parts;
}

function sameFingerprint(a: readonly object[], b: readonly object[]): boolean {
  return a.length === b.length && a.every((part, index) => part === b[index]);
}

/** The cache layout and vocabulary of the exported model. */
interface DecodeGeometry {
  layers: number;
  kvHeads: number;
  headDim: number;
  vocab: number;
}

/**
 * A decoder model exported to ONNX and loaded in an onnxruntime session. It stays valid while the
 * model's weights are the ones it was made from ({@link isCurrent}); `LocalLanguageModel` makes a new
 * one when they change.
 */
export class OnnxruntimeDecoder {
  /** The model's positions (`maxPositionEmbeddings`). */
  readonly maxPositions: number;
  /** Milliseconds the export and the session creation took. */
  readonly buildMs: number;
  readonly #ort: OrtModule;
  readonly #session: Ort.InferenceSession;
  readonly #fingerprint: readonly object[];
  readonly #geometry: DecodeGeometry;
  readonly #preallocate: boolean;
  #open = 0;
  #retired = false;
  #released = false;

  private constructor(
    ort: OrtModule,
    session: Ort.InferenceSession,
    model: DecoderModel,
    buildMs: number,
    fingerprint: readonly object[],
    preallocate: boolean,
  ) {
    this.#preallocate = preallocate;
    this.#ort = ort;
    this.#session = session;
    this.#fingerprint = fingerprint;
    this.#geometry = { ...cacheGeometry(model.config), vocab: model.config.vocabSize };
    this.maxPositions = model.config.maxPositionEmbeddings;
    this.buildMs = buildMs;
  }

  /**
   * Resolves to the model exported and loaded in onnxruntime-node. Throws a BackendError
   * where onnxruntime-node cannot load, and an InvalidOptionError when the model has unmerged LoRA
   * adapters (merge them first, or decode with tfjs) or weights beyond {@link fitsInMemoryExport}.
   */
  static async create(model: DecoderModel, options: OnnxruntimeDecoderOptions = {}): Promise<OnnxruntimeDecoder> {
    const ort = await loadOnnxruntime();
    if (!ort) {
      throw new BackendError('onnxruntime-node could not be loaded in this runtime', {
        backend: 'onnxruntime',
        hint: 'install onnxruntime-node for this platform, or decode with engine "tfjs"',
      });
    }
    if (!fitsInMemoryExport(model)) {
      const gib = ((model.parameterCount() * 4) / 2 ** 30).toFixed(2);
      throw new InvalidOptionError(`the model's float32 weights (${gib} GiB) exceed the in-memory ONNX export's limit of 1.5 GiB`, {
        option: 'engine',
        hint: 'decode with engine "tfjs", or write the model with exportOnnx (external data) and run that folder with transformers.js',
      });
    }
    const started = performance.now();
    const fingerprint = weightsFingerprint(model);
    const bytes = encodeOnnxModel(await decoderOnnxModel(model, { lastTokenLogits: true }));
    const session = await ort.InferenceSession.create(bytes, {
      graphOptimizationLevel: 'all',
      ...(options.intraOpNumThreads !== undefined ? { intraOpNumThreads: options.intraOpNumThreads } : {}),
      extra: { session: { intra_op: { allow_spinning: options.allowSpinning ? '1' : '0' } } },
    });
    return new OnnxruntimeDecoder(ort, session, model, performance.now() - started, fingerprint, options.preallocateCache ?? true);
  }

  /** Returns whether `model`'s weights are still the ones this session was made from. */
  isCurrent(model: DecoderModel): boolean {
    return !this.#retired && sameFingerprint(this.#fingerprint, weightsFingerprint(model));
  }

  /** Returns a new batched decode over this session (its key/value cache is its own). */
  startDecode(): BatchingDecodeSession {
    if (this.#retired) throw new InvalidOptionError('this onnxruntime decoder was released', { option: 'engine' });
    return this.#openDecode();
  }

  /** The decodes not yet disposed (a released decoder frees its onnxruntime session when this reaches 0). */
  get openDecodes(): number {
    return this.#open;
  }

  /** Opens a decode; a running one may spawn more after a release (its joining rows need these weights). */
  #openDecode(): OnnxruntimeDecodeSession {
    if (this.#released) throw new InvalidOptionError('this onnxruntime decoder was released', { option: 'engine' });
    this.#open++;
    return new OnnxruntimeDecodeSession(this.#ort, this.#session, this.#geometry, this.maxPositions, this.#preallocate, {
      spawn: () => this.#openDecode(),
      onDispose: () => {
        this.#open--;
        this.#releaseIfIdle();
      },
    });
  }

  /** Frees the onnxruntime session once the decodes still running end. */
  release(): void {
    this.#retired = true;
    this.#releaseIfIdle();
  }

  #releaseIfIdle(): void {
    if (!this.#retired || this.#open > 0 || this.#released) return;
    this.#released = true;
    void this.#session.release();
  }
}

/**
 * One batched decode on an onnxruntime session: the cache is the previous step's `present.*` outputs.
 * Rows join (appendRows) and leave (selectRows) between steps by copying the cache into a new layout.
 */
class OnnxruntimeDecodeSession implements BatchingDecodeSession {
  readonly maxPositions: number;
  readonly #ort: OrtModule;
  readonly #session: Ort.InferenceSession;
  readonly #geometry: DecodeGeometry;
  readonly #onDispose: () => void;
  readonly #spawn: () => OnnxruntimeDecodeSession;
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

  constructor(
    ort: OrtModule,
    session: Ort.InferenceSession,
    geometry: DecodeGeometry,
    maxPositions: number,
    preallocate: boolean,
    hooks: { spawn: () => OnnxruntimeDecodeSession; onDispose: () => void },
  ) {
    this.#preallocate = preallocate;
    this.#ort = ort;
    this.#session = session;
    this.#geometry = geometry;
    this.maxPositions = maxPositions;
    this.#spawn = hooks.spawn;
    this.#onDispose = hooks.onDispose;
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
      [LOGITS_INDEX_INPUT]: new ort.Tensor('int64', BigInt64Array.from(logitsIndex, BigInt), [B, 1]),
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
      fetches.logits = logits = new ort.Tensor('float32', new Float32Array(B * vocab), [B, vocab]);
      await this.#session.run(feeds, fetches);
      this.#turn = this.#turn === 0 ? 1 : 0;
    } else {
      const outputs = await this.#session.run(feeds);
      for (let layer = 0; layer < layers; layer++) {
        for (const part of ['key', 'value']) past[`past_key_values.${layer}.${part}`] = outputs[`present.${layer}.${part}`] as Ort.Tensor;
      }
      logits = outputs.logits as Ort.Tensor;
    }
    this.#past = past;
    const data = logits.data as Float32Array;
    const vocab = logits.dims[1]!;
    return Array.from({ length: B }, (_, row) => data.subarray(row * vocab, (row + 1) * vocab));
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
