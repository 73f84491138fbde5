/**
 * Data-parallel training over worker threads: K model replicas, each on its own cpu or wasm
 * backend (tfjs's wasm backend is single-threaded in Node, so threads are how a step uses more than
 * one core). Every micro-batch is split by rows; each worker computes its rows' gradients (divided
 * by the step's total trained tokens) into its slot of a SharedArrayBuffer; this thread sums the
 * slots in worker order into one shared buffer; every replica then applies that same sum with AdamW,
 * so all replicas hold bit-identical weights after every step.
 */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { InvalidOptionError, TrainingError } from '@steerlm/core';
import type { ModelConfig } from '../io/hf-config';
import type { AdamWConfig } from '../kernels/adamw';
import { parameterSpecs } from '../models/parameter-specs';
import type { TrainingBatch } from '../trainer/batching';
import type { StepOutcome } from '../trainer/train-step';
import type { DataParallelRequest, DataParallelResponse, DataParallelWorkerData } from './data-parallel-protocol';
import { DATA_PARALLEL_WORKER_MODULE } from './data-parallel-worker';
import { shardBatch } from './shard-batch';

/** Options of DataParallelTrainer.start. */
export interface DataParallelOptions {
  config: ModelConfig;
  /** Worker threads (model replicas), at least 1. */
  workers: number;
  /** Backend of every worker ['wasm']. */
  backend?: 'cpu' | 'wasm';
  /** Seed of the initial weights when `parameters` is not given [0]. */
  seed?: number;
  /** Initial weights by Hugging Face name (e.g. a loaded model's). */
  parameters?: Record<string, Float32Array>;
  /** URL of a module exporting runDataParallelWorker [this package's own module]. */
  workerModule?: string;
}

/** Returns the file URL of tsx's ESM register API, resolved from `fromUrl` (for workers that load TypeScript sources). */
function tsxLoaderUrl(fromUrl: string): string {
  const require = createRequire(fromUrl);
  const manifestPath = require.resolve('tsx/package.json');
  const manifest = require(manifestPath) as { exports: Record<string, { import: { default: string } }> };
  return pathToFileURL(join(dirname(manifestPath), manifest.exports['./esm/api']!.import.default)).href;
}

interface PendingReply {
  resolve: (response: DataParallelResponse) => void;
  reject: (error: Error) => void;
}

class WorkerHandle {
  private readonly pending: PendingReply[] = [];
  private failure: Error | null = null;

  constructor(readonly worker: Worker) {
    worker.on('message', (response: DataParallelResponse) => {
      const next = this.pending.shift();
      if (!next) return;
      if (response.type === 'error')
        next.reject(new TrainingError(`data-parallel worker failed: ${response.message}`, { hint: response.stack.split('\n').slice(1, 3).join(' ').trim() }));
      else next.resolve(response);
    });
    const fail = (error: Error) => {
      this.failure = error;
      for (const waiting of this.pending.splice(0)) waiting.reject(error);
    };
    worker.on('error', (error) => fail(new TrainingError(`data-parallel worker crashed: ${error.message}`, { cause: error })));
    worker.on('exit', (code) => fail(new TrainingError(`data-parallel worker exited with code ${code}`)));
  }

  /** Returns the next response of the worker. */
  next(): Promise<DataParallelResponse> {
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => this.pending.push({ resolve, reject }));
  }

  /** Returns the worker's response to `request`. */
  request(request: DataParallelRequest): Promise<DataParallelResponse> {
    const reply = this.next();
    this.worker.postMessage(request);
    return reply;
  }
}

function expect<T extends DataParallelResponse['type']>(response: DataParallelResponse, type: T): Extract<DataParallelResponse, { type: T }> {
  if (response.type !== type) throw new TrainingError(`data-parallel worker answered "${response.type}" where "${type}" was expected`);
  return response as Extract<DataParallelResponse, { type: T }>;
}

/** K model replicas in worker threads that train as one (see the file comment). */
export class DataParallelTrainer {
  private closed = false;

  private constructor(
    private readonly handles: WorkerHandle[],
    private readonly slots: Float32Array[],
    private readonly sum: Float32Array,
    /** Names of the trained parameters, in gradient-buffer order. */
    readonly names: string[],
  ) {}

  /** Returns a trainer whose workers have started, built their replicas and agreed on the parameter layout. */
  static async start(options: DataParallelOptions): Promise<DataParallelTrainer> {
    const count = options.workers;
    if (!Number.isInteger(count) || count < 1) throw new InvalidOptionError(`workers must be a positive integer, got ${count}`, { option: 'workers' });
    const backend = options.backend ?? 'wasm';
    if (backend !== 'cpu' && backend !== 'wasm')
      throw new InvalidOptionError(`data-parallel workers run on cpu or wasm, not "${String(backend)}"`, { option: 'backend' });
    const size = parameterSpecs(options.config).reduce((total, spec) => total + spec.shape.reduce((product, axis) => product * axis, 1), 0);
    const gradientSlots = new SharedArrayBuffer(count * size * 4);
    const gradientSum = new SharedArrayBuffer(size * 4);
    const moduleUrl = options.workerModule ?? DATA_PARALLEL_WORKER_MODULE;
    // TypeScript sources (tests) load through tsx's loader, registered in the worker; a built bundle loads as it is.
    const loader = /\.m?ts$/.test(moduleUrl) ? `await import(${JSON.stringify(tsxLoaderUrl(moduleUrl))}).then((api) => api.register());` : '';
    const source = `(async () => { ${loader} const module = await import(${JSON.stringify(moduleUrl)}); await module.runDataParallelWorker(); })()`;
    const handles: WorkerHandle[] = [];
    for (let workerIndex = 0; workerIndex < count; workerIndex++) {
      const workerData: DataParallelWorkerData = {
        steerlmDataParallel: true,
        workerIndex,
        workerCount: count,
        backend,
        config: options.config,
        seed: options.seed ?? 0,
        parameters: options.parameters ?? null,
        gradientSlots,
        gradientSum,
      };
      handles.push(new WorkerHandle(new Worker(source, { eval: true, workerData })));
    }
    const ready = (await Promise.all(handles.map((handle) => handle.next()))).map((response) => expect(response, 'ready'));
    const names = ready[0]!.names;
    if (ready.some((response) => response.parameterCount !== size || response.names.join() !== names.join())) {
      await Promise.all(handles.map((handle) => handle.worker.terminate()));
      throw new TrainingError('data-parallel workers disagree on the parameter layout');
    }
    const slots = Array.from({ length: count }, (_, index) => new Float32Array(gradientSlots, index * size * 4, size));
    return new DataParallelTrainer(handles, slots, new Float32Array(gradientSum), names);
  }

  /** The number of worker threads. */
  get workerCount(): number {
    return this.handles.length;
  }

  /**
   * Returns the outcome of one optimizer step over `microBatches` (each split by rows across the
   * workers), the same as Optimizer.step up to float summation order.
   */
  async step(microBatches: readonly TrainingBatch[], packed: boolean, config: AdamWConfig): Promise<StepOutcome> {
    if (this.closed) throw new TrainingError('the data-parallel trainer is closed');
    const trainedTokens = microBatches.reduce((total, batch) => total + batch.trainedTokens, 0);
    const denominator = Math.max(1, trainedTokens);
    const shards = this.handles.map((): TrainingBatch[] => []);
    for (const batch of microBatches) {
      shardBatch(batch, this.handles.length).forEach((shard, index) => {
        if (shard.B > 0) shards[index]!.push(shard);
      });
    }
    const partial = await Promise.all(
      this.handles.map(
        async (handle, index) => expect(await handle.request({ type: 'gradients', batches: shards[index]!, packed, denominator }), 'gradients-done').loss,
      ),
    );
    // Fixed order (worker 0, 1, …) so the sum, and so every update, is reproducible.
    const sum = this.sum;
    sum.set(this.slots[0]!);
    for (let worker = 1; worker < this.slots.length; worker++) {
      const slot = this.slots[worker]!;
      for (let index = 0; index < sum.length; index++) sum[index]! += slot[index]!;
    }
    const loss = partial.reduce((total, value) => total + value, 0);
    const outcomes = await Promise.all(
      this.handles.map(async (handle) => expect(await handle.request({ type: 'apply', loss, config, trainedTokens }), 'applied').outcome),
    );
    return outcomes[0]!;
  }

  /** Returns the weights of replica `worker` (all replicas are identical) by parameter name. */
  async readParameters(worker = 0): Promise<Record<string, Float32Array>> {
    const handle = this.handles[worker];
    if (!handle) throw new InvalidOptionError(`there is no worker ${worker} (have ${this.handles.length})`, { option: 'worker' });
    return expect(await handle.request({ type: 'read-parameters' }), 'parameters').parameters;
  }

  /** Returns once every worker has freed its replica and exited. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all(
      this.handles.map(async (handle) => {
        await handle.request({ type: 'close' }).catch(() => undefined);
        await handle.worker.terminate();
      }),
    );
  }
}
