/** A data-parallel worker module for tests: worker 1 exits (as a crash would) when it is sent its first step. */
import { parentPort, workerData } from 'node:worker_threads';
import type { DataParallelRequest, DataParallelWorkerData } from '../data-parallel-protocol';
import { runDataParallelWorker as runWorker } from '../data-parallel-worker';

/** Runs the real worker, except that worker 1 dies on its first step request. */
export async function runDataParallelWorker(): Promise<void> {
  if ((workerData as DataParallelWorkerData).workerIndex === 1) {
    parentPort?.on('message', (request: DataParallelRequest) => {
      if (request.type === 'step') process.exit(3);
    });
  }
  await runWorker();
}
