import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { TrainingError, type ProgressListener } from '@steerlm/core';
import type { TrainSummary } from '@steerlm/sft';
import type { TrainingJob, TrainingWorkerMessage } from './training-job';

/**
 * The built worker entry (dist/demo-training-worker.js, beside the bundle that imports this), or
 * undefined when running from TypeScript sources, where the demo trains its models one after another.
 */
export function trainingWorkerFile(): string | undefined {
  if (!import.meta.url.endsWith('.js')) return undefined;
  const file = fileURLToPath(new URL('./demo-training-worker.js', import.meta.url));
  return existsSync(file) ? file : undefined;
}

/** Trains `job` in a worker thread (its own tfjs backend, on its own core); resolves with its summary once the model is saved. */
export function trainInWorker(file: string, job: TrainingJob, options: { onEvent?: ProgressListener; signal?: AbortSignal } = {}): Promise<TrainSummary> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(file, { workerData: job });
    const abort = () => void worker.terminate();
    options.signal?.addEventListener('abort', abort, { once: true });
    let settled = false;
    const settle = (action: () => void) => {
      if (settled) return;
      settled = true;
      options.signal?.removeEventListener('abort', abort);
      action();
    };
    worker.on('message', (message: TrainingWorkerMessage) => {
      if (message.type === 'event') options.onEvent?.(message.event);
      else if (message.type === 'done') settle(() => resolve(message.summary));
      else settle(() => reject(new TrainingError(`the training worker failed: ${message.message}`, { cause: message.stack })));
    });
    worker.on('error', (error) => settle(() => reject(new TrainingError(`the training worker crashed: ${error.message}`, { cause: error }))));
    worker.on('exit', (code) =>
      settle(() =>
        reject(
          new TrainingError(`the training worker exited (code ${code}) before finishing`, options.signal?.aborted ? { hint: 'the run was interrupted' } : {}),
        ),
      ),
    );
  });
}
