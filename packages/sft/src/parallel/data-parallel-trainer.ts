/**
 * Data-parallel training over worker threads: K model replicas, each on its own cpu or wasm backend
 * with one MLAS thread (tfjs's wasm backend is single-threaded in Node, so threads are how a step
 * uses more than one core). Every micro-batch is split by rows; the workers then meet in shared
 * memory (data-parallel-worker.ts): gradients reduced there (each worker sums one shard of the
 * parameters), AdamW sharded the same way (each worker keeps the moments of its shard only and
 * writes its shard of the updated weights), and every replica reloads the shared weights, so all
 * replicas hold the same weights after every step. A step costs this thread two small messages per
 * worker; no gradients or weights are copied through postMessage.
 *
 * The result equals Optimizer.step on the whole batch up to float summation order: each worker's
 * matmuls sum over its own rows and the shards' partial sums are added afterwards, and the norm is
 * summed in float64 (tfjs sums it in float32), so losses and weights agree to about 1e-6 relative.
 * When a worker fails or dies, the step rejects with a TrainingError naming it, the other workers
 * are woken from the barrier and every worker is stopped; the trainer is then closed.
 */
import { Worker } from 'node:worker_threads';
import { InvalidOptionError, TrainingError } from '@steerlm/core';
import type { ModelConfig } from '../io/hf-config';
import type { AdamWConfig } from '../kernels/adamw';
import { hostMatmulEngine, type HostMatmulEngine } from '../kernels/host/mlas-ops';
import { parameterSpecs } from '../models/parameter-specs';
import type { TrainingBatch } from '../trainer/batching';
import type { StepOutcome } from '../trainer/train-step';
import {
  shardRange,
  type DataParallelMemory,
  type DataParallelStepTimings,
  type DataParallelRequest,
  type DataParallelResponse,
  type DataParallelWorkerData,
} from './data-parallel-protocol';
import { DATA_PARALLEL_WORKER_MODULE } from './data-parallel-worker';
import { shardBatch } from './shard-batch';
import { STEP_BARRIER_BYTES, StepBarrier } from './step-barrier';
import { workerModuleSource } from './worker-module-source';

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
  /** The kernels of the workers' matmuls [this thread's choice, hostMatmulEngine(): MLAS unless STEERLM_HOST_MATMUL says otherwise]. */
  hostMatmul?: HostMatmulEngine;
  /** URL of a module exporting runDataParallelWorker [this package's own module]. */
  workerModule?: string;
}

/** The AdamW state of a data-parallel trainer, gathered from the workers' shards, by parameter name. */
export interface DataParallelOptimizerState {
  /** AdamW steps taken (skipped steps do not count). */
  step: number;
  /** AdamW's first moments (running mean of the gradients), by parameter name. */
  firstMoments: Record<string, Float32Array>;
  /** AdamW's second moments (running mean of the squared gradients), by parameter name. */
  secondMoments: Record<string, Float32Array>;
}

/** A worker's failure; `aborted` when it only gave up because another party failed first. */
class WorkerFailure extends TrainingError {
  constructor(
    message: string,
    readonly aborted: boolean,
    options: ConstructorParameters<typeof TrainingError>[1] = {},
  ) {
    super(message, options);
  }
}

interface PendingReply {
  resolve: (response: DataParallelResponse) => void;
  reject: (error: Error) => void;
}

class WorkerHandle {
  private readonly pending: PendingReply[] = [];
  private failure: Error | null = null;

  constructor(
    readonly worker: Worker,
    readonly index: number,
    /** Called when the thread crashes or exits: the trainer wakes the others from the barrier. */
    onGone: () => void,
  ) {
    worker.on('message', (response: DataParallelResponse) => {
      const next = this.pending.shift();
      if (!next) return;
      if (response.type === 'error') {
        const hint = response.stack.split('\n').slice(1, 3).join(' ').trim();
        next.reject(new WorkerFailure(`data-parallel worker ${index} failed: ${response.message}`, response.aborted, hint ? { hint } : {}));
      } else next.resolve(response);
    });
    const fail = (error: Error) => {
      this.failure ??= error;
      for (const waiting of this.pending.splice(0)) waiting.reject(this.failure);
      onGone();
    };
    worker.on('error', (error) => fail(new WorkerFailure(`data-parallel worker ${index} crashed: ${error.message}`, false, { cause: error })));
    worker.on('exit', (code) => fail(new WorkerFailure(`data-parallel worker ${index} exited with code ${code}`, false)));
  }

  /** Returns the next response of the worker. */
  next(): Promise<DataParallelResponse> {
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => this.pending.push({ resolve, reject }));
  }

  /** Returns the worker's response to `request`. */
  request(request: DataParallelRequest, transfer: ArrayBuffer[] = []): Promise<DataParallelResponse> {
    const reply = this.next();
    if (!this.failure) this.worker.postMessage(request, transfer);
    return reply;
  }
}

function expect<T extends DataParallelResponse['type']>(response: DataParallelResponse, type: T): Extract<DataParallelResponse, { type: T }> {
  if (response.type !== type) throw new TrainingError(`data-parallel worker answered "${response.type}" where "${type}" was expected`);
  return response as Extract<DataParallelResponse, { type: T }>;
}

/** The parameter layout the workers agreed on: names, shapes, element counts and flat offsets in the trainable order. */
interface Layout {
  names: string[];
  shapes: number[][];
  sizes: number[];
  offsets: number[];
  size: number;
}

/** K model replicas in worker threads that train as one (see the file comment). */
export class DataParallelTrainer {
  private closed = false;
  private failure: TrainingError | null = null;
  /** AdamW steps taken (the next step is this + 1). */
  private adamwStep = 0;
  /** Per worker, where its last step went (see DataParallelStepTimings). */
  lastStepTimings: DataParallelStepTimings[] = [];

  private constructor(
    private readonly handles: WorkerHandle[],
    private readonly layout: Layout,
    private readonly weights: Float32Array,
    /** How each worker runs its matmuls (e.g. "MLAS, 1 thread"), as worker 0 reported it. */
    readonly matmul: string,
  ) {}

  /** Returns a trainer whose workers have started, built their replicas and agreed on the parameter layout. */
  static async start(options: DataParallelOptions): Promise<DataParallelTrainer> {
    const count = options.workers;
    if (!Number.isInteger(count) || count < 1) throw new InvalidOptionError(`workers must be a positive integer, got ${count}`, { option: 'workers' });
    const backend = options.backend ?? 'wasm';
    if (backend !== 'cpu' && backend !== 'wasm')
      throw new InvalidOptionError(`data-parallel workers run on cpu or wasm, not "${String(backend)}"`, { option: 'backend' });
    const size = parameterSpecs(options.config).reduce((total, spec) => total + spec.shape.reduce((product, axis) => product * axis, 1), 0);
    const memory: DataParallelMemory = {
      weights: new SharedArrayBuffer(size * 4),
      gradients: new SharedArrayBuffer(count * size * 4),
      partials: new SharedArrayBuffer(2 * count * 8),
      barrier: new SharedArrayBuffer(STEP_BARRIER_BYTES),
    };
    const barrier = new StepBarrier(memory.barrier, count);
    const moduleUrl = options.workerModule ?? DATA_PARALLEL_WORKER_MODULE;
    const source = workerModuleSource(moduleUrl, 'runDataParallelWorker');
    const handles: WorkerHandle[] = [];
    for (let workerIndex = 0; workerIndex < count; workerIndex++) {
      const workerData: DataParallelWorkerData = {
        steerlmDataParallel: true,
        workerIndex,
        workerCount: count,
        backend,
        hostMatmul: options.hostMatmul ?? hostMatmulEngine(),
        config: options.config,
        seed: options.seed ?? 0,
        parameters: options.parameters ?? null,
        memory,
      };
      handles.push(new WorkerHandle(new Worker(source, { eval: true, workerData }), workerIndex, () => barrier.abort(count)));
    }
    let ready: Array<Extract<DataParallelResponse, { type: 'ready' }>>;
    try {
      ready = (await settle(handles.map((handle) => handle.next()))).map((response) => expect(response, 'ready'));
    } catch (error) {
      await Promise.all(handles.map((handle) => handle.worker.terminate()));
      throw error;
    }
    const { names, shapes } = ready[0]!;
    const sizes = shapes.map((shape) => shape.reduce((product, axis) => product * axis, 1));
    const offsets: number[] = [];
    let total = 0;
    for (const count of sizes) {
      offsets.push(total);
      total += count;
    }
    if (total !== size || ready.some((response) => response.names.join() !== names.join())) {
      await Promise.all(handles.map((handle) => handle.worker.terminate()));
      throw new TrainingError(`data-parallel workers disagree on the parameter layout (${total} parameters reported, ${size} expected)`);
    }
    return new DataParallelTrainer(handles, { names, shapes, sizes, offsets, size }, new Float32Array(memory.weights, 0, size), ready[0]!.matmul);
  }

  /** The number of worker threads. */
  get workerCount(): number {
    return this.handles.length;
  }

  /** Names of the trained parameters, in the order of the shared buffers. */
  get names(): string[] {
    return this.layout.names;
  }

  /**
   * Returns the outcome of one optimizer step over `microBatches` (each split by rows across the
   * workers), the same as Optimizer.step up to float summation order (see the file comment).
   */
  async step(microBatches: readonly TrainingBatch[], packed: boolean, config: AdamWConfig): Promise<StepOutcome> {
    const trainedTokens = microBatches.reduce((total, batch) => total + batch.trainedTokens, 0);
    const denominator = Math.max(1, trainedTokens);
    const shards = this.handles.map((): TrainingBatch[] => []);
    for (const batch of microBatches) {
      shardBatch(batch, this.handles.length).forEach((shard, index) => {
        if (shard.B > 0) shards[index]!.push(shard);
      });
    }
    const step = this.adamwStep + 1;
    const outcomes = await this.everyWorker(
      (index) => ({ type: 'step', batches: shards[index]!, packed, denominator, trainedTokens, config, step }),
      'stepped',
    );
    this.lastStepTimings = outcomes.map((response) => response.timings);
    const outcome = outcomes[0]!.outcome;
    if (!outcome.skipped) this.adamwStep = step;
    return outcome;
  }

  /** Returns a copy of the current weights by parameter name (read from the shared memory). */
  parameters(): Record<string, Float32Array> {
    this.throwIfUnusable();
    return this.byName(this.weights);
  }

  /** Returns the weights replica `worker` holds in its backend, by parameter name (all replicas are the same). */
  async readParameters(worker = 0): Promise<Record<string, Float32Array>> {
    this.throwIfUnusable();
    const handle = this.handles[worker];
    if (!handle) throw new InvalidOptionError(`there is no worker ${worker} (have ${this.handles.length})`, { option: 'worker' });
    return expect(await handle.request({ type: 'read-parameters' }), 'parameters').parameters;
  }

  /** Returns the AdamW state, gathered from the workers' shards (for a checkpoint). */
  async optimizerState(): Promise<DataParallelOptimizerState> {
    const shards = await this.everyWorker(() => ({ type: 'read-moments' }), 'moments');
    const first = new Float32Array(this.layout.size);
    const second = new Float32Array(this.layout.size);
    shards.forEach((shard, index) => {
      const [start] = shardRange(this.layout.size, this.handles.length, index);
      first.set(shard.first, start);
      second.set(shard.second, start);
    });
    return { step: this.adamwStep, firstMoments: this.byName(first), secondMoments: this.byName(second) };
  }

  /**
   * Replaces the weights (every trained parameter, by name) and, when given, the AdamW state (a
   * resumed checkpoint's); the replicas load them before this resolves.
   */
  async loadState(parameters: Record<string, Float32Array>, optimizer?: DataParallelOptimizerState): Promise<void> {
    this.throwIfUnusable();
    const flat = this.flatten(parameters, 'parameters');
    const moments = optimizer ? [this.flatten(optimizer.firstMoments, 'firstMoments'), this.flatten(optimizer.secondMoments, 'secondMoments')] : null;
    if (optimizer && !(Number.isInteger(optimizer.step) && optimizer.step >= 0)) {
      throw new InvalidOptionError(`the optimizer step must be a non-negative integer, got ${optimizer.step}`, { option: 'step' });
    }
    this.weights.set(flat);
    await this.everyWorker((index) => {
      if (!moments) return { type: 'load', moments: null };
      const [start, end] = shardRange(this.layout.size, this.handles.length, index);
      return { type: 'load', moments: { first: moments[0]!.slice(start, end), second: moments[1]!.slice(start, end) } };
    }, 'loaded');
    if (optimizer) this.adamwStep = optimizer.step;
  }

  /** Returns once every worker has freed its replica and exited. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all(
      this.handles.map(async (handle) => {
        if (!this.failure) await handle.request({ type: 'close' }).catch(() => undefined);
        await handle.worker.terminate();
      }),
    );
  }

  /** Returns every worker's response of `type` to its request; on any failure stops every worker and throws the first real error. */
  private async everyWorker<T extends DataParallelResponse['type']>(
    request: (index: number) => DataParallelRequest,
    type: T,
  ): Promise<Array<Extract<DataParallelResponse, { type: T }>>> {
    this.throwIfUnusable();
    try {
      return (await settle(this.handles.map((handle, index) => handle.request(request(index))))).map((response) => expect(response, type));
    } catch (error) {
      const failure = error instanceof TrainingError ? error : new TrainingError(String(error), { cause: error });
      this.failure = failure;
      await Promise.all(this.handles.map((handle) => handle.worker.terminate()));
      this.closed = true;
      throw failure;
    }
  }

  private throwIfUnusable(): void {
    if (this.failure) {
      throw new TrainingError(`the data-parallel trainer stopped after a worker failed (${this.failure.message})`, {
        hint: 'start a new DataParallelTrainer, from the last checkpoint',
      });
    }
    if (this.closed) throw new TrainingError('the data-parallel trainer is closed', { hint: 'start a new DataParallelTrainer' });
  }

  /** Returns copies of the per-parameter ranges of a flat array, by name. */
  private byName(flat: Float32Array): Record<string, Float32Array> {
    const { names, offsets, sizes } = this.layout;
    const result: Record<string, Float32Array> = {};
    names.forEach((name, index) => {
      result[name] = flat.slice(offsets[index]!, offsets[index]! + sizes[index]!);
    });
    return result;
  }

  /** Returns the per-parameter arrays of `values` as one flat array; throws InvalidOptionError naming a missing or mis-sized one. */
  private flatten(values: Record<string, Float32Array>, field: string): Float32Array {
    const { names, offsets, shapes, sizes } = this.layout;
    const flat = new Float32Array(this.layout.size);
    names.forEach((name, index) => {
      const size = sizes[index]!;
      const array = values[name];
      if (!array || array.length !== size) {
        throw new InvalidOptionError(
          `${field}.${name} must hold ${size} float32 values (shape [${shapes[index]!.join(', ')}]), got ${array?.length ?? 'none'}`,
          {
            field: `${field}.${name}`,
          },
        );
      }
      flat.set(array, offsets[index]!);
    });
    return flat;
  }
}

/** Returns every value once all settled, or throws the first failure that is not an abort (else the first failure). */
async function settle<T>(promises: Array<Promise<T>>): Promise<T[]> {
  const results = await Promise.allSettled(promises);
  const failures = results.flatMap((result) => (result.status === 'rejected' ? [result.reason as unknown] : []));
  if (failures.length > 0) throw failures.find((failure) => !(failure instanceof WorkerFailure && failure.aborted)) ?? failures[0];
  return results.map((result) => (result as PromiseFulfilledResult<T>).value);
}
