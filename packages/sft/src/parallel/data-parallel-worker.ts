/**
 * The worker side of data-parallel training: one model replica on its own cpu or wasm backend,
 * working with the other workers through shared memory (data-parallel-protocol.ts). One step:
 *  1. forward and backward over this worker's rows; the gradients go into its shared slot;
 *  2. (barrier) reduce-scatter: the worker sums its shard of every slot, in worker order, into slot 0
 *     and the sum of squares of that shard into its partial;
 *  3. (barrier) the global norm and loss from the partials (the same numbers in every worker), then
 *     AdamW on its shard only, with the moments it alone holds, into the shared weights (ZeRO-1);
 *  4. (barrier) every replica loads the shared weights.
 * Nothing but the small step request and its outcome goes through postMessage.
 */
import { isMainThread, parentPort, workerData } from 'node:worker_threads';
import * as tf from '@tensorflow/tfjs';
import { TrainingError } from '@steerlm/core';
import { selectBackend } from '../backend';
import { adamwScalars, clipScale, resolveAdamWConfig } from '../kernels/adamw';
import { adamwUpdate } from '../kernels/adamw/adamw.host';
import { hostCompute } from '../kernels/host/host-compute';
import { mlasThreads, setMlasThreads } from '../kernels/host/mlas-gemm';
import { setHostMatmulEngine, usesMlas } from '../kernels/host/mlas-ops';
import { DecoderModel } from '../models';
import { accumulateGradients, trainableSet, type StepOutcome } from '../trainer/train-step';
import {
  shardRange,
  type DataParallelRequest,
  type DataParallelStepTimings,
  type DataParallelResponse,
  type DataParallelWorkerData,
} from './data-parallel-protocol';
import { BarrierAbortedError, StepBarrier } from './step-barrier';

/** The URL of the module that exports runDataParallelWorker (this one, or the bundle it is built into). */
export const DATA_PARALLEL_WORKER_MODULE = import.meta.url;

/** Returns true in a worker thread started by a DataParallelTrainer. */
export function isDataParallelWorker(): boolean {
  return !isMainThread && (workerData as Partial<DataParallelWorkerData> | null)?.steerlmDataParallel === true;
}

/** One tensor's place in the flat parameter order. */
interface Slice {
  variable: tf.Variable;
  offset: number;
  size: number;
  /** 1 - lr·wd applies (rank ≥ 2), or no weight decay. */
  decays: boolean;
}

/** The replica, its shared memory and its optimizer shard. */
class Replica {
  readonly slices: Slice[];
  /** The trained parameters' names, in the shared buffers' order. */
  readonly names: string[];
  readonly size: number;
  readonly weights: Float32Array;
  readonly slot: Float32Array;
  readonly slots: Float32Array[];
  readonly partials: Float64Array;
  /** This worker's flat range [start, end) and its AdamW moments. */
  readonly start: number;
  readonly end: number;
  first: Float32Array;
  second: Float32Array;

  constructor(
    readonly model: DecoderModel,
    readonly data: DataParallelWorkerData,
    readonly barrier: StepBarrier,
  ) {
    const trainable = trainableSet(model);
    this.names = trainable.names;
    let offset = 0;
    this.slices = trainable.variables.map((variable, index) => {
      const slice = { variable, offset, size: variable.size, decays: trainable.decay[index]! };
      offset += variable.size;
      return slice;
    });
    this.size = offset;
    const { memory, workerCount, workerIndex } = data;
    this.weights = new Float32Array(memory.weights, 0, this.size);
    this.slots = Array.from({ length: workerCount }, (_, index) => new Float32Array(memory.gradients, index * this.size * 4, this.size));
    this.slot = this.slots[workerIndex]!;
    this.partials = new Float64Array(memory.partials, 0, 2 * workerCount);
    [this.start, this.end] = shardRange(this.size, workerCount, workerIndex);
    this.first = new Float32Array(this.end - this.start);
    this.second = new Float32Array(this.end - this.start);
  }

  /** Writes the replica's weights into the shared weights. */
  storeWeights(): void {
    hostCompute(
      this.slices.map((slice) => slice.variable),
      [],
      (values) => this.slices.forEach((slice, index) => this.weights.set(values[index]!, slice.offset)),
    );
  }

  /** Replaces the replica's weights with the shared weights. */
  loadWeights(): void {
    const fresh = hostCompute(
      [],
      this.slices.map((slice) => slice.variable.shape),
      (_, outputs) => this.slices.forEach((slice, index) => outputs[index]!.set(this.weights.subarray(slice.offset, slice.offset + slice.size))),
    );
    this.slices.forEach((slice, index) => slice.variable.assign(fresh[index]!));
    tf.dispose(fresh);
  }

  /** Returns the outcome of one data-parallel step (see the file comment). */
  step(request: Extract<DataParallelRequest, { type: 'step' }>): { outcome: StepOutcome; timings: DataParallelStepTimings } {
    const { workerIndex, workerCount } = this.data;
    const timings: DataParallelStepTimings = { gradients: 0, reduce: 0, optimizer: 0, load: 0, wait: 0 };
    let clock = performance.now();
    const lap = (phase: keyof DataParallelStepTimings) => {
      const now = performance.now();
      timings[phase] += now - clock;
      clock = now;
    };
    // 1. This worker's gradients into its slot, its loss into its partial.
    let loss = 0;
    if (request.batches.length === 0) {
      this.slot.fill(0);
    } else {
      const gradients = accumulateGradients(
        this.model,
        this.slices.map((slice) => slice.variable),
        request.batches,
        request.packed,
        request.denominator,
      );
      try {
        hostCompute([gradients.loss, ...gradients.grads], [], (values) => {
          loss = values[0]![0]!;
          this.slices.forEach((slice, index) => this.slot.set(values[index + 1]!, slice.offset));
        });
      } finally {
        tf.dispose([gradients.loss, ...gradients.grads]);
      }
    }
    this.partials[2 * workerIndex] = loss;
    lap('gradients');
    this.barrier.arriveAndWait();
    lap('wait');

    // 2. Reduce-scatter: this shard of the sum into slot 0, in worker order; its sum of squares.
    const sum = this.slots[0]!;
    for (let worker = 1; worker < workerCount; worker++) {
      const slot = this.slots[worker]!;
      for (let index = this.start; index < this.end; index++) sum[index]! += slot[index]!;
    }
    let squares = 0;
    for (let index = this.start; index < this.end; index++) squares += sum[index]! * sum[index]!;
    this.partials[2 * workerIndex + 1] = squares;
    lap('reduce');
    this.barrier.arriveAndWait();
    lap('wait');

    // 3. The global statistics (the same in every worker: the partials summed in worker order), then AdamW on this shard.
    let totalLoss = 0;
    let totalSquares = 0;
    for (let worker = 0; worker < workerCount; worker++) {
      totalLoss += this.partials[2 * worker]!;
      totalSquares += this.partials[2 * worker + 1]!;
    }
    const gradNorm = Math.fround(Math.sqrt(totalSquares));
    const outcome: StepOutcome = { loss: Math.fround(totalLoss), gradNorm, skipped: false, trainedTokens: request.trainedTokens };
    if (!Number.isFinite(totalLoss) || !Number.isFinite(totalSquares)) return { outcome: { ...outcome, skipped: true }, timings };
    const resolved = resolveAdamWConfig(request.config);
    const scalars = { ...adamwScalars(resolved, request.step), beta1: resolved.beta1, beta2: resolved.beta2, epsilon: resolved.epsilon };
    const scale = Math.fround(clipScale(gradNorm, resolved.maxGradNorm));
    for (const slice of this.slices) {
      const from = Math.max(this.start, slice.offset);
      const to = Math.min(this.end, slice.offset + slice.size);
      if (from >= to) continue;
      const param = this.weights.subarray(from, to);
      const moments = { first: this.first.subarray(from - this.start, to - this.start), second: this.second.subarray(from - this.start, to - this.start) };
      adamwUpdate({ param, grad: sum.subarray(from, to), ...moments }, { param, ...moments }, scale, scalars, slice.decays ? scalars.decayFactor : 1);
    }
    lap('optimizer');
    this.barrier.arriveAndWait();
    lap('wait');

    // 4. Every replica takes the updated weights.
    this.loadWeights();
    lap('load');
    return { outcome, timings };
  }

  dispose(): void {
    this.model.dispose();
  }
}

/** Returns after serving a DataParallelTrainer's requests in this worker thread until it is closed. */
export async function runDataParallelWorker(): Promise<void> {
  if (!isDataParallelWorker() || !parentPort) {
    throw new TrainingError('runDataParallelWorker runs only in a worker thread started by DataParallelTrainer', { hint: 'use DataParallelTrainer.start' });
  }
  const port = parentPort;
  const data = workerData as DataParallelWorkerData;
  const send = (message: DataParallelResponse, transfer: ArrayBuffer[] = []) => port.postMessage(message, transfer);
  const barrier = new StepBarrier(data.memory.barrier, data.workerCount);
  let replica: Replica | undefined;
  const fail = (error: unknown) => {
    const failure = error instanceof Error ? error : new Error(String(error));
    const aborted = failure instanceof BarrierAbortedError;
    // Wake the workers waiting for this one, so the step fails everywhere instead of hanging.
    if (!aborted) barrier.abort(data.workerIndex);
    send({ type: 'error', message: failure.message, stack: failure.stack ?? '', aborted });
  };
  try {
    await selectBackend({ prefer: data.backend, strict: true });
    // One MLAS thread per worker: the workers are the parallelism (more would oversubscribe the cores).
    setHostMatmulEngine(data.hostMatmul);
    setMlasThreads(1);
    const model = DecoderModel.create(data.config, { seed: data.seed });
    if (data.parameters) {
      for (const [name, values] of Object.entries(data.parameters)) {
        const variable = model.parameters.get(name);
        if (variable) tf.tidy(() => variable.assign(tf.tensor(values, variable.shape)));
      }
    }
    replica = new Replica(model, data, barrier);
    // Every replica starts from worker 0's weights, through the shared memory.
    if (data.workerIndex === 0) replica.storeWeights();
    barrier.arriveAndWait();
    replica.loadWeights();
    model.training = true;
    send({
      type: 'ready',
      names: replica.names,
      shapes: replica.slices.map((slice) => slice.variable.shape),
      matmul: usesMlas() ? `MLAS, ${mlasThreads()} thread` : `the ${data.backend} backend's own`,
    });
  } catch (error) {
    fail(error);
    return;
  }
  const active = replica;
  await new Promise<void>((resolve) => {
    port.on('message', (request: DataParallelRequest) => {
      try {
        switch (request.type) {
          case 'step':
            send({ type: 'stepped', ...active.step(request) });
            return;
          case 'load':
            if (request.moments) {
              const length = active.end - active.start;
              if (request.moments.first.length !== length || request.moments.second.length !== length) {
                throw new TrainingError(
                  `worker ${data.workerIndex} holds ${length} moments but was sent ${request.moments.first.length} and ${request.moments.second.length}`,
                );
              }
              active.first = request.moments.first;
              active.second = request.moments.second;
            }
            active.loadWeights();
            send({ type: 'loaded' });
            return;
          case 'read-moments': {
            const [first, second] = [active.first.slice(), active.second.slice()];
            send({ type: 'moments', first, second }, [first.buffer, second.buffer]);
            return;
          }
          case 'read-parameters': {
            const parameters: Record<string, Float32Array> = {};
            for (const [name, variable] of active.model.parameters) parameters[name] = variable.dataSync() as Float32Array;
            send({ type: 'parameters', parameters });
            return;
          }
          case 'close':
            active.dispose();
            send({ type: 'closed' });
            port.close();
            resolve();
        }
      } catch (error) {
        fail(error);
      }
    });
  });
}
