/**
 * The onnxruntime decode engine: our own ONNX export of a {@link DecoderModel} (built in memory from
 * the loaded weights) run by onnxruntime-node, with the key/value cache kept in buffers the engine
 * writes in place (OnnxruntimeInPlaceDecodeSession; or, with `inPlaceCache: false`, the whole cache as
 * the graph's outputs, OnnxruntimeDecodeSession). The shared sampling loop ({@link generateTokens}) drives it through {@link DecodeSession}.
 */
import type * as Ort from 'onnxruntime-node';
import { BackendError, InvalidOptionError } from '@steerlm/core';
import { cacheGeometry, decoderOnnxModel } from '../export/decoder-onnx-graph';
import { EXTERNAL_DATA_THRESHOLD_BYTES } from '../export/export-onnx';
import { encodeOnnxModel } from '../io/onnx';
import type { BatchingDecodeSession } from './decode-session';
import type { DecoderModel } from './decoder-model';
import { OnnxruntimeDecodeSession, type DecodeGeometry, type OrtModule } from './onnxruntime-decode-session';
import { OnnxruntimeInPlaceDecodeSession, PromptPrefixCache } from './onnxruntime-in-place-decode-session';
import { OnnxruntimeDecodeWorker, type OnnxruntimeWorkerDecodeSession } from './onnxruntime-worker-decode-session';

let ortModule: Promise<OrtModule | undefined> | undefined;

/**
 * Models with fewer parameters decode on one onnxruntime thread by default. Measured on 2 cores
 * (docs/benchmarks.md, 2026-12-05): the 1.2M-parameter `tiny` serves 3,180 tokens/s to one client on
 * one thread against 1,873 on two, and 5,153 against 4,478 to 16; the 25M-parameter `25m` serves 16
 * clients 719 tokens/s on one thread against 894 on two.
 */
export const ONE_THREAD_PARAMETERS = 5_000_000;

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
  /**
   * onnxruntime intra-op threads. Default: 1 for a model under {@link ONE_THREAD_PARAMETERS} parameters
   * (its operators are too small to split: handing them to a second thread costs more than it saves),
   * else onnxruntime's own default, one per physical core.
   */
  intraOpNumThreads?: number;
  /**
   * Let idle intra-op threads spin while waiting for work (onnxruntime's default is on). Off by default
   * here: decoding runs many small graph calls, and spinning burns CPU time between them for little
   * wall-time gain.
   */
  allowSpinning?: boolean;
  /**
   * Keep the key/value cache in buffers this engine writes each step's new keys/values into, on an
   * export that outputs only those (DecoderOnnxOptions.newKeyValuesOnly), so a step never copies the
   * cache: see OnnxruntimeInPlaceDecodeSession. Default true. False runs the Optimum-layout export,
   * whose `present.*` outputs are the whole cache again every step.
   */
  inPlaceCache?: boolean;
  /** With {@link inPlaceCache}: the key slots the cache grows by (default IN_PLACE_SLOT_CHUNK, 32). */
  cacheSlotChunk?: number;
  /**
   * With {@link inPlaceCache}: keep the keys/values of the last prompt prefilled, and copy the prefix a new
   * prompt shares with it (at least PROMPT_PREFIX_MINIMUM, 16 tokens: a chat template, a system prompt)
   * instead of prefilling it again. Default true.
   */
  prefixCache?: boolean;
  /**
   * Without {@link inPlaceCache}: let onnxruntime write each step's cache (`present.*`) and logits
   * straight into buffers this engine keeps (two per cache tensor, used in turn, grown geometrically),
   * instead of allocating new outputs every step. Default true.
   */
  preallocateCache?: boolean;
  /**
   * Export with ONNX Runtime's contrib operators (GroupQueryAttention, RotaryEmbedding,
   * SkipSimplifiedLayerNormalization, …; see DecoderOnnxOptions.contribOps). Default true: decoding is
   * faster on them (docs/benchmarks.md) and the logits agree with tfjs as closely; false runs the
   * standard-operator graph that exportOnnx writes by default.
   */
  contribOps?: boolean;
  /**
   * Run the onnxruntime session and the decodes' key/value caches in a worker thread (Node), driven from
   * this thread by messages (OnnxruntimeWorkerDecodeSession). onnxruntime-node computes on the thread
   * that calls `run`, so on this thread a step blocks everything else; in a worker, this thread can
   * stream the last step's tokens and read sockets while the next step runs (steerlm serve does). Each
   * step then costs a message round trip and a copy of its logits rows. Default false.
   */
  worker?: boolean;
  /** With {@link worker}: URL of a module exporting runOnnxruntimeDecodeWorker [this package's own] (tests). */
  workerModule?: string;
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
  /** Whether decodes keep the cache in place (OnnxruntimeDecoderOptions.inPlaceCache). */
  readonly inPlaceCache: boolean;
  /** Whether the session runs in a worker thread (OnnxruntimeDecoderOptions.worker). */
  readonly worker: boolean;
  /** The session's intra-op threads, or undefined for onnxruntime's default (one per physical core). */
  readonly intraOpNumThreads: number | undefined;
  readonly #ort: OrtModule;
  /** The session, on this thread or in a worker thread. */
  readonly #session: Ort.InferenceSession | OnnxruntimeDecodeWorker;
  readonly #fingerprint: readonly object[];
  readonly #geometry: DecodeGeometry;
  readonly #preallocate: boolean;
  readonly #slotChunk: number | undefined;
  readonly #prefixes: PromptPrefixCache | undefined;
  #open = 0;
  #retired = false;
  #released = false;

  private constructor(
    ort: OrtModule,
    session: Ort.InferenceSession | OnnxruntimeDecodeWorker,
    model: DecoderModel,
    buildMs: number,
    fingerprint: readonly object[],
    preallocate: boolean,
    contribOps: boolean,
    inPlaceCache: boolean,
    slotChunk: number | undefined,
    prefixCache: boolean,
    threads: number | undefined,
  ) {
    this.intraOpNumThreads = threads;
    this.#slotChunk = slotChunk;
    this.#prefixes = inPlaceCache && prefixCache ? new PromptPrefixCache() : undefined;
    this.contribOps = contribOps;
    this.inPlaceCache = inPlaceCache;
    this.#preallocate = preallocate;
    this.#ort = ort;
    this.#session = session;
    this.worker = session instanceof OnnxruntimeDecodeWorker;
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
    const chunk = options.cacheSlotChunk;
    if (chunk !== undefined && !(Number.isInteger(chunk) && chunk >= 1)) {
      throw new InvalidOptionError(`cacheSlotChunk must be an integer >= 1, got ${chunk}`, { option: 'cacheSlotChunk' });
    }
    const started = performance.now();
    const fingerprint = weightsFingerprint(model);
    const contribOps = options.contribOps ?? true;
    const inPlaceCache = options.inPlaceCache ?? true;
    const bytes = encodeOnnxModel(await decoderOnnxModel(model, { lastTokenLogits: true, contribOps, newKeyValuesOnly: inPlaceCache }));
    const threads = options.intraOpNumThreads ?? (model.parameterCount() < ONE_THREAD_PARAMETERS ? 1 : undefined);
    if (threads !== undefined && !(Number.isInteger(threads) && threads >= 1)) {
      throw new InvalidOptionError(`intraOpNumThreads must be an integer >= 1, got ${threads}`, { option: 'intraOpNumThreads' });
    }
    const sessionOptions: Ort.InferenceSession.SessionOptions = {
      graphOptimizationLevel: 'all',
      ...(threads !== undefined ? { intraOpNumThreads: threads } : {}),
      extra: { session: { intra_op: { allow_spinning: options.allowSpinning ? '1' : '0' } } },
    };
    const session = options.worker
      ? await OnnxruntimeDecodeWorker.start(bytes, {
          sessionOptions,
          geometry: { ...cacheGeometry(model.config), vocab: model.config.vocabSize },
          maxPositions: model.config.maxPositionEmbeddings,
          inPlaceCache,
          slotChunk: chunk,
          prefixCache: options.prefixCache ?? true,
          preallocate: options.preallocateCache ?? true,
          ...(options.workerModule !== undefined ? { workerModule: options.workerModule } : {}),
        })
      : await ort.InferenceSession.create(bytes, sessionOptions);
    return new OnnxruntimeDecoder(
      ort,
      session,
      model,
      performance.now() - started,
      fingerprint,
      options.preallocateCache ?? true,
      contribOps,
      inPlaceCache,
      options.cacheSlotChunk,
      options.prefixCache ?? true,
      threads,
    );
  }

  /** Returns whether `model`'s weights are still the ones this session was made from (and its worker thread, if any, lives). */
  isCurrent(model: DecoderModel): boolean {
    // A worker thread that died cannot decode any more: the caller makes a new decoder.
    const dead = this.#session instanceof OnnxruntimeDecodeWorker && this.#session.failed;
    return !this.#retired && !dead && sameFingerprint(this.#fingerprint, weightsFingerprint(model));
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
  #openDecode(): OnnxruntimeDecodeSession | OnnxruntimeInPlaceDecodeSession | OnnxruntimeWorkerDecodeSession {
    if (this.#released) throw new InvalidOptionError('this onnxruntime decoder was released', { option: 'engine' });
    this.#open++;
    const common = {
      geometry: this.#geometry,
      maxPositions: this.maxPositions,
      onDispose: () => {
        this.#open--;
        this.#releaseIfIdle();
      },
    };
    const session = this.#session;
    if (session instanceof OnnxruntimeDecodeWorker) return session.open(common.onDispose, () => this.#openDecode() as OnnxruntimeWorkerDecodeSession);
    if (this.inPlaceCache) {
      return new OnnxruntimeInPlaceDecodeSession(this.#ort, session, {
        ...common,
        ...(this.#slotChunk !== undefined ? { slotChunk: this.#slotChunk } : {}),
        ...(this.#prefixes ? { prefixes: this.#prefixes } : {}),
        spawn: () => this.#openDecode() as OnnxruntimeInPlaceDecodeSession,
      });
    }
    return new OnnxruntimeDecodeSession(this.#ort, session, {
      ...common,
      preallocate: this.#preallocate,
      spawn: () => this.#openDecode() as OnnxruntimeDecodeSession,
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
    const session = this.#session;
    void (session instanceof OnnxruntimeDecodeWorker ? session.terminate() : session.release());
  }
}
