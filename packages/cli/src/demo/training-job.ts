import type { Conversation, ProgressEvent } from '@steerlm/core';
import type { BackendName, TokenizerJson, TrainSummary } from '@steerlm/sft';
import type { DemoModelShape } from './demo-options';

/** Everything a worker needs to train one demo model and save it (structured-clone safe). */
export interface TrainingJob {
  readonly shape: DemoModelShape;
  readonly modelSeed: number;
  readonly tokenizerJson: TokenizerJson;
  readonly tokenizerConfig: Record<string, unknown>;
  readonly conversations: readonly Conversation[];
  readonly steps: number;
  readonly batchSize: number;
  readonly learningRate: number;
  readonly seed: number;
  readonly backend: BackendName;
  /** Where the trained model is saved (Hugging Face layout). */
  readonly folder: string;
}

/** Messages from the training worker. */
export type TrainingWorkerMessage =
  | { readonly type: 'event'; readonly event: ProgressEvent }
  | { readonly type: 'done'; readonly summary: TrainSummary }
  | { readonly type: 'error'; readonly message: string; readonly stack?: string };
