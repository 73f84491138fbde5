/** An onnxruntime decode worker module for tests: the thread exits (as a crash would) when it is sent its second step. */
import { parentPort } from 'node:worker_threads';
import { runOnnxruntimeDecodeWorker as runWorker, type DecodeWorkerRequest } from '../onnxruntime-decode-worker';

/** Runs the real worker, except that it dies on its second step request. */
export async function runOnnxruntimeDecodeWorker(): Promise<void> {
  let steps = 0;
  parentPort?.on('message', (request: DecodeWorkerRequest) => {
    if (request.op === 'step' && ++steps === 2) process.exit(3);
  });
  await runWorker();
}
