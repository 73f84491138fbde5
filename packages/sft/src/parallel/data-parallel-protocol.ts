/** The messages and the shared memory between a DataParallelTrainer and its worker threads. */
import type { AdamWConfig } from '../kernels/adamw';
import type { ModelConfig } from '../io/hf-config';
import type { HostMatmulEngine } from '../kernels/host/mlas-ops';
import type { StepOutcome } from '../trainer/train-step';
import type { TrainingBatch } from '../trainer/batching';

/**
 * The memory every thread of a data-parallel group shares (P float32 parameters over K workers;
 * worker k owns the flat range shardRange(P, K, k) for the reduce and the optimizer).
 */
export interface DataParallelMemory {
  /** P float32: the weights, in the trainable order; each worker writes its shard after the update, every replica loads them all. */
  weights: SharedArrayBuffer;
  /** K slots of P float32: worker k's gradients; after the reduce, slot 0 holds the sum over the workers. */
  gradients: SharedArrayBuffer;
  /** 2K float64: per worker, its loss partial and the sum of squares of its shard of the summed gradients. */
  partials: SharedArrayBuffer;
  /** The step barrier's words (step-barrier.ts). */
  barrier: SharedArrayBuffer;
}

/** What every worker starts with (its workerData). */
export interface DataParallelWorkerData {
  steerlmDataParallel: true;
  workerIndex: number;
  workerCount: number;
  backend: 'cpu' | 'wasm';
  /** The kernels of the replica's matmuls (setHostMatmulEngine). */
  hostMatmul: HostMatmulEngine;
  config: ModelConfig;
  seed: number;
  /** Initial weights by parameter name (all replicas start from them); the seeded init when absent. */
  parameters: Record<string, Float32Array> | null;
  memory: DataParallelMemory;
}

/** Where one worker's step went, in milliseconds. */
export interface DataParallelStepTimings {
  /** Forward and backward over its rows, and copying the gradients into its slot. */
  gradients: number;
  /** Its shard of the gradient sum and of the sum of squares. */
  reduce: number;
  /** AdamW on its shard. */
  optimizer: number;
  /** Loading the shared weights into its replica. */
  load: number;
  /** Waiting in the barriers for the other workers. */
  wait: number;
}

/** A request from the trainer to one worker. */
export type DataParallelRequest =
  | {
      type: 'step';
      batches: TrainingBatch[];
      packed: boolean;
      /** The step's trained tokens over all workers (each loss sum is divided by it). */
      denominator: number;
      trainedTokens: number;
      config: AdamWConfig;
      /** The AdamW step to take (1-based: skipped steps do not count). */
      step: number;
    }
  /** Load the shared weights into the replica, and the shard's moments when given (a restore). */
  | { type: 'load'; moments: { first: Float32Array; second: Float32Array } | null }
  | { type: 'read-moments' }
  | { type: 'read-parameters' }
  | { type: 'close' };

/** A worker's answer to one request (or its start-up report). */
export type DataParallelResponse =
  | { type: 'ready'; names: string[]; shapes: number[][]; matmul: string }
  | { type: 'stepped'; outcome: StepOutcome; timings: DataParallelStepTimings }
  | { type: 'loaded' }
  | { type: 'moments'; first: Float32Array; second: Float32Array }
  | { type: 'parameters'; parameters: Record<string, Float32Array> }
  | { type: 'closed' }
  /** aborted: the worker gave up because another party failed (the error to report is that party's). */
  | { type: 'error'; message: string; stack: string; aborted: boolean };

/** Returns the flat range [start, end) of P parameters that worker `index` of `count` reduces and updates. */
export function shardRange(size: number, count: number, index: number): [number, number] {
  return [Math.floor((index * size) / count), Math.floor(((index + 1) * size) / count)];
}
