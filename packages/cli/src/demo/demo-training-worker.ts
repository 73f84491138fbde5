/** Worker thread entry: trains one demo model (the plain-SFT baseline) beside the main thread's run. */
import { parentPort, workerData } from 'node:worker_threads';
import { selectBackend, tokenizerFromJson } from '@steerlm/sft';
import type { TrainingJob, TrainingWorkerMessage } from './training-job';
import { createDemoModel, trainDemoModel } from './train-language-model';

const post = (message: TrainingWorkerMessage) => parentPort!.postMessage(message);

async function run(job: TrainingJob): Promise<void> {
  await selectBackend({ prefer: job.backend });
  const tokenizer = await tokenizerFromJson(job.tokenizerJson, job.tokenizerConfig);
  const model = createDemoModel(job.shape, tokenizer.vocabSize, job.modelSeed);
  const summary = await trainDemoModel(model, tokenizer, job.conversations, {
    steps: job.steps,
    batchSize: job.batchSize,
    learningRate: job.learningRate,
    seed: job.seed,
    onEvent: (event) => post({ type: 'event', event }),
  });
  await model.save(job.folder);
  model.dispose();
  post({ type: 'done', summary });
}

run(workerData as TrainingJob).catch((error: unknown) => {
  post({ type: 'error', message: (error as Error).message ?? String(error), ...((error as Error).stack ? { stack: (error as Error).stack! } : {}) });
});
