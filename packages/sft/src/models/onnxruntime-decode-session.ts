/**
 * One batched decode on an onnxruntime session (onnxruntime-node, or onnxruntime-web in a browser): the
 * engine under {@link OnnxruntimeDecoder} and the browser playground, driven by the shared sampling loop
 * ({@link generateTokens}). Neither tfjs nor Node is imported here, so browser bundles can take it.
 */
import type * as Ort from 'onnxruntime-node';
import { InvalidOptionError, ModelFormatError } from '@steerlm/core';
import type { DecodeSession } from './decode-session';

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
 * `present.*` outputs. Graphs with a `logits_index` input (the in-memory export) compute one logits row
 * per row; graphs without it (`exportOnnx`'s, for transformers.js) return [B, T, V] and the row is picked here.
 */
export class OnnxruntimeDecodeSession implements DecodeSession {
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
  /** Whether the graph takes `logits_index` (logits [B, V]) rather than returning every position ([B, T, V]). */
  readonly #logitsIndexInput: boolean;
  /** Per cache output, the two buffers `present.*` is written into in turn (the other holds the past). */
  readonly #arenas = new Map<string, [Float32Array, Float32Array]>();
  #turn: 0 | 1 = 0;

  constructor(ort: OrtModule, session: Ort.InferenceSession, options: OnnxruntimeDecodeSessionOptions) {
    this.#preallocate = options.preallocate ?? false;
    this.#ort = ort;
    this.#session = session;
    this.#geometry = options.geometry;
    this.maxPositions = options.maxPositions;
    this.#onDispose = options.onDispose ?? (() => {});
    this.#logitsIndexInput = session.inputNames.includes(LOGITS_INDEX_INPUT);
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
