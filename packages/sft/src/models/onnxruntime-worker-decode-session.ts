/**
 * The main-thread side of an {@link OnnxruntimeDecoder} made with `worker: true` (the worker side:
 * onnxruntime-decode-worker.ts). {@link OnnxruntimeDecodeWorker} starts the thread, which makes the
 * onnxruntime session from the export's bytes; each {@link OnnxruntimeWorkerDecodeSession} is one decode
 * there, driven by messages. Requests are posted at once and answered in order, so a caller can post the
 * next step and do other work (stream the last step's tokens) while the worker computes it.
 */
import { BackendError, InvalidOptionError, SteerLMError } from '@steerlm/core';
import type { BatchingDecodeSession } from './decode-session';
import type { DecodeGeometry } from './onnxruntime-decode-session';
import {
  ONNXRUNTIME_DECODE_WORKER_MODULE,
  type DecodeWorkerData,
  type DecodeWorkerReady,
  type DecodeWorkerReply,
  type DecodeWorkerRequest,
} from './onnxruntime-decode-worker';
import { workerModuleSource } from '../parallel/worker-module-source';

type Worker = import('node:worker_threads').Worker;
type Answered = Extract<DecodeWorkerReply, { ok: true }>;

/** What the worker's decodes are made with (DecodeWorkerData less the model and the tag), and where its code is. */
export type OnnxruntimeDecodeWorkerOptions = Omit<DecodeWorkerData, 'steerlmOnnxruntimeDecode' | 'model'> & {
  /** URL of a module exporting runOnnxruntimeDecodeWorker [this package's own module] (tests). */
  readonly workerModule?: string;
};

/** Rebuilds a worker's error on this thread: option errors stay InvalidOptionError, the rest are BackendErrors. */
function workerError(reply: Extract<DecodeWorkerReply, { ok: false }>): SteerLMError {
  if (reply.name === 'InvalidOptionError') return new InvalidOptionError(reply.message, reply.option !== undefined ? { option: reply.option } : {});
  const cause = Object.assign(new Error(reply.message), { stack: reply.stack });
  return new BackendError(`the onnxruntime decode worker failed: ${reply.message}`, { backend: 'onnxruntime', cause });
}

/** One worker thread holding an onnxruntime session and its decodes (see the file comment). */
export class OnnxruntimeDecodeWorker {
  readonly geometry: DecodeGeometry;
  readonly maxPositions: number;
  /** Whether the decodes keep their cache in place (rows packed: a row's key slots are its tokens). */
  readonly inPlaceCache: boolean;
  readonly #worker: Worker;
  readonly #waiting: { resolve: (reply: Answered) => void; reject: (error: Error) => void }[] = [];
  #failure: Error | undefined;
  #nextId = 0;

  private constructor(worker: Worker, options: OnnxruntimeDecodeWorkerOptions) {
    this.#worker = worker;
    this.geometry = options.geometry;
    this.maxPositions = options.maxPositions;
    this.inPlaceCache = options.inPlaceCache;
    worker.on('message', (reply: DecodeWorkerReply) => {
      const waiting = this.#waiting.shift();
      if (!waiting) return;
      if (reply.ok) waiting.resolve(reply);
      else waiting.reject(workerError(reply));
      if (this.#waiting.length === 0) this.#worker.unref();
    });
    const fail = (error: Error) => {
      this.#failure ??= error;
      for (const waiting of this.#waiting.splice(0)) waiting.reject(this.#failure);
    };
    worker.on('error', (cause) => fail(new BackendError(`the onnxruntime decode worker crashed: ${cause.message}`, { backend: 'onnxruntime', cause })));
    worker.on('exit', (code) => fail(new BackendError(`the onnxruntime decode worker exited (code ${code})`, { backend: 'onnxruntime' })));
    // The thread keeps the process alive only while a reply is awaited.
    worker.unref();
  }

  /**
   * Starts a worker thread that makes an onnxruntime session of `model` (ONNX bytes, transferred) and
   * resolves once it is ready. Throws a BackendError when the session cannot be made there.
   */
  static async start(model: Uint8Array, options: OnnxruntimeDecodeWorkerOptions): Promise<OnnxruntimeDecodeWorker> {
    const { Worker } = await import('node:worker_threads');
    const { workerModule, ...settings } = options;
    const workerData: DecodeWorkerData = { steerlmOnnxruntimeDecode: true, model, ...settings };
    const source = workerModuleSource(workerModule ?? ONNXRUNTIME_DECODE_WORKER_MODULE, 'runOnnxruntimeDecodeWorker');
    const worker = new Worker(source, { eval: true, workerData, transferList: [model.buffer as ArrayBuffer] });
    const listeners: { event: 'message' | 'error' | 'exit'; listener: (value: unknown) => void }[] = [];
    const ready = await new Promise<DecodeWorkerReady>((resolve, reject) => {
      listeners.push(
        { event: 'message', listener: (message) => resolve(message as DecodeWorkerReady) },
        { event: 'error', listener: reject },
        { event: 'exit', listener: (code) => reject(new Error(`it exited (code ${code}) before its session was ready`)) },
      );
      for (const { event, listener } of listeners) worker.on(event, listener);
    }).catch((error: unknown) => ({ ready: false as const, message: error instanceof Error ? error.message : String(error), stack: '' }));
    for (const { event, listener } of listeners) worker.off(event, listener);
    if (!ready.ready) {
      await worker.terminate();
      throw new BackendError(`the onnxruntime decode worker could not start: ${ready.message}`, {
        backend: 'onnxruntime',
        hint: 'decode on the calling thread (worker: false), or with engine "tfjs"',
      });
    }
    return new OnnxruntimeDecodeWorker(worker, options);
  }

  /** Whether the thread crashed, exited or was released (its decodes fail; make a new worker). */
  get failed(): boolean {
    return this.#failure !== undefined;
  }

  /** Posts `request`; resolves to its reply (replies come in request order). */
  request(request: DecodeWorkerRequest, transfer: ArrayBuffer[] = []): Promise<Answered> {
    if (this.#failure) return Promise.reject(this.#failure);
    const reply = new Promise<Answered>((resolve, reject) => this.#waiting.push({ resolve, reject }));
    this.#worker.ref();
    this.#worker.postMessage(request, transfer);
    return reply;
  }

  /** Returns a new, empty decode in the worker (`onDispose` runs once when it is disposed). */
  open(onDispose: () => void = () => {}, spawn?: () => OnnxruntimeWorkerDecodeSession): OnnxruntimeWorkerDecodeSession {
    const id = this.#nextId++;
    const decode = new OnnxruntimeWorkerDecodeSession(this, id, onDispose, spawn ?? (() => this.open()));
    // Its failure (the worker gone) surfaces at the decode's first use.
    this.request({ op: 'open', id }).catch(() => {});
    return decode;
  }

  /** Ends the thread (its decodes fail from then on). */
  async terminate(): Promise<void> {
    this.#failure ??= new BackendError('the onnxruntime decode worker was released', { backend: 'onnxruntime' });
    await this.#worker.terminate();
  }
}

/** Splits a packed [rows, vocab] logits buffer into rows (views, no copy). */
function unpackRows(packed: Float32Array, vocab: number): Float32Array[] {
  return Array.from({ length: packed.length / vocab }, (_, row) => packed.subarray(row * vocab, (row + 1) * vocab));
}

/** One decode in an {@link OnnxruntimeDecodeWorker}'s thread, driven from this one (see the file comment). */
export class OnnxruntimeWorkerDecodeSession implements BatchingDecodeSession {
  readonly maxPositions: number;
  /** Requests are posted at once and run in the worker in call order. */
  readonly queuesCalls = true;
  readonly #host: OnnxruntimeDecodeWorker;
  readonly #id: number;
  readonly #onDispose: () => void;
  readonly #spawn: () => OnnxruntimeWorkerDecodeSession;
  /** Each row's cached keys, as of the calls made so far (an in-place cache packs them: no padding). */
  #lengths: number[] = [];
  #keySlots = 0;
  #disposed = false;
  /** The prompt tokens each row of the last prefill copied from the prefix cache (for tests and load reports). */
  reusedPrefix: readonly number[] = [];

  constructor(host: OnnxruntimeDecodeWorker, id: number, onDispose: () => void, spawn: () => OnnxruntimeWorkerDecodeSession) {
    this.#host = host;
    this.#id = id;
    this.#onDispose = onDispose;
    this.#spawn = spawn;
    this.maxPositions = host.maxPositions;
  }

  /** The rows decoding now (as of the calls made so far). */
  get rows(): number {
    return this.#lengths.length;
  }

  /** The key slots: with an in-place cache as of the calls made so far, else as the worker last reported them. */
  get keySlots(): number {
    return this.#host.inPlaceCache ? this.#lengths.reduce((longest, length) => Math.max(longest, length), 0) : this.#keySlots;
  }

  spawn(): BatchingDecodeSession {
    return this.#spawn();
  }

  #checkOpen(): void {
    if (this.#disposed) throw new InvalidOptionError('the decode session was disposed', { option: 'session' });
  }

  async #send(request: DecodeWorkerRequest, transfer: ArrayBuffer[] = []): Promise<Answered> {
    const reply = await this.#host.request(request, transfer);
    this.#keySlots = reply.keySlots;
    return reply;
  }

  async prefill(prompts: readonly (readonly number[])[]): Promise<Float32Array[]> {
    this.#checkOpen();
    if (this.rows > 0) throw new InvalidOptionError('prefill runs once, on an empty session (spawn one for joining rows)', { option: 'session' });
    this.#lengths = prompts.map((prompt) => prompt.length);
    const reply = await this.#send({ op: 'prefill', id: this.#id, prompts });
    this.reusedPrefix = reply.reusedPrefix ?? prompts.map(() => 0);
    return unpackRows(reply.logits!, this.#host.geometry.vocab);
  }

  async step(tokens: readonly (number | undefined)[]): Promise<Float32Array[]> {
    this.#checkOpen();
    if (tokens.length !== this.rows) throw new InvalidOptionError(`step got ${tokens.length} tokens for ${this.rows} rows`, { option: 'tokens' });
    this.#lengths = this.#lengths.map((length) => length + 1);
    const packed = Int32Array.from(tokens, (token) => token ?? -1);
    const reply = await this.#send({ op: 'step', id: this.#id, tokens: packed }, [packed.buffer]);
    return unpackRows(reply.logits!, this.#host.geometry.vocab);
  }

  async appendRows(other: BatchingDecodeSession): Promise<void> {
    if (!(other instanceof OnnxruntimeWorkerDecodeSession) || other.#host !== this.#host) {
      throw new InvalidOptionError('appendRows needs a session spawned from this one (same engine and weights)', { option: 'session' });
    }
    this.#checkOpen();
    other.#checkOpen();
    this.#lengths = [...this.#lengths, ...other.#lengths];
    // The worker disposes the other decode as it appends it.
    other.#release();
    await this.#send({ op: 'append', id: this.#id, other: other.#id });
  }

  async selectRows(rows: readonly number[]): Promise<void> {
    this.#checkOpen();
    for (const row of rows) {
      if (!Number.isInteger(row) || row < 0 || row >= this.rows) {
        throw new InvalidOptionError(`selectRows got row ${row}, outside the ${this.rows} rows decoding`, { option: 'rows' });
      }
    }
    this.#lengths = rows.map((row) => this.#lengths[row]!);
    await this.#send({ op: 'select', id: this.#id, rows });
  }

  #release(): void {
    this.#disposed = true;
    this.#lengths = [];
    this.#onDispose();
  }

  dispose(): void {
    if (this.#disposed) return;
    this.#release();
    this.#host.request({ op: 'dispose', id: this.#id }).catch(() => {});
  }
}
