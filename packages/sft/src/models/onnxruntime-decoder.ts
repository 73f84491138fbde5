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
import type { DecodeSession } from './decode-session';
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
  /**
   * Export with ONNX Runtime's contrib operators (GroupQueryAttention, RotaryEmbedding,
   * SkipSimplifiedLayerNormalization, …; see DecoderOnnxOptions.contribOps). Default true: decoding is
   * faster on them (docs/benchmarks.md) and the logits agree with tfjs as closely; false runs the
   * standard-operator graph that exportOnnx writes by default.
   */
  contribOps?: boolean;
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
  /** Whether the session runs the export on ONNX Runtime's contrib operators. */
  readonly contribOps: boolean;
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
    contribOps: boolean,
  ) {
    this.contribOps = contribOps;
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
    const contribOps = options.contribOps ?? true;
    const bytes = encodeOnnxModel(await decoderOnnxModel(model, { lastTokenLogits: true, contribOps }));
    const session = await ort.InferenceSession.create(bytes, {
      graphOptimizationLevel: 'all',
      ...(options.intraOpNumThreads !== undefined ? { intraOpNumThreads: options.intraOpNumThreads } : {}),
      extra: { session: { intra_op: { allow_spinning: options.allowSpinning ? '1' : '0' } } },
    });
    return new OnnxruntimeDecoder(ort, session, model, performance.now() - started, fingerprint, options.preallocateCache ?? true, contribOps);
  }

  /** Returns whether `model`'s weights are still the ones this session was made from. */
  isCurrent(model: DecoderModel): boolean {
    return !this.#retired && sameFingerprint(this.#fingerprint, weightsFingerprint(model));
  }

  /** Returns a new batched decode over this session (its key/value cache is its own). */
  startDecode(): DecodeSession {
    if (this.#retired) throw new InvalidOptionError('this onnxruntime decoder was released', { option: 'engine' });
    this.#open++;
    return new OnnxruntimeDecodeSession(this.#ort, this.#session, this.#geometry, this.maxPositions, this.#preallocate, () => {
      this.#open--;
      this.#releaseIfIdle();
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

/** One batched decode on an onnxruntime session: the cache is the previous step's `present.*` outputs. */
class OnnxruntimeDecodeSession implements DecodeSession {
  readonly maxPositions: number;
  readonly #ort: OrtModule;
  readonly #session: Ort.InferenceSession;
  readonly #geometry: DecodeGeometry;
  readonly #onDispose: () => void;
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

  constructor(ort: OrtModule, session: Ort.InferenceSession, geometry: DecodeGeometry, maxPositions: number, preallocate: boolean, onDispose: () => void) {
    this.#preallocate = preallocate;
    this.#ort = ort;
    this.#session = session;
    this.#geometry = geometry;
    this.maxPositions = maxPositions;
    this.#onDispose = onDispose;
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
