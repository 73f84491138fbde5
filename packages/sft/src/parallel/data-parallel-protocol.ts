/** The messages between a DataParallelTrainer and its worker threads. */
import type { AdamWConfig } from '../kernels/adamw';
import type { ModelConfig } from '../io/hf-config';
import type { StepOutcome } from '../trainer/train-step';
import type { TrainingBatch } from '../trainer/batching';

/** What every worker starts with (its workerData). */
export interface DataParallelWorkerData {
  steerlmDataParallel: true;
  workerIndex: number;
  workerCount: number;
  backend: 'cpu' | 'wasm';
  config: ModelConfig;
  seed: number;
  /** Initial weights by parameter name (all replicas start from them); the seeded init when absent. */
  parameters: Record<string, Float32Array> | null;
  /** workerCount slots of P float32 gradients, one per worker. */
  gradientSlots: SharedArrayBuffer;
  /** P float32: the summed gradients every replica applies. */
  gradientSum: SharedArrayBuffer;
}

/** A request from the trainer to one worker. */
export type DataParallelRequest =
  | { type: 'gradients'; batches: TrainingBatch[]; packed: boolean; denominator: number }
  | { type: 'apply'; loss: number; config: AdamWConfig; trainedTokens: number }
  | { type: 'read-parameters' }
  | { type: 'close' };

/** A worker's answer to one request (or its start-up report). */
export type DataParallelResponse =
  | { type: 'ready'; parameterCount: number; names: string[] }
  | { type: 'gradients-done'; loss: number }
  | { type: 'applied'; outcome: StepOutcome }
  | { type: 'parameters'; parameters: Record<string, Float32Array> }
  | { type: 'closed' }
  | { type: 'error'; message: string; stack: string };
