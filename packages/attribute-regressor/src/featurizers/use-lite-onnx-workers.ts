/**
 * USE-lite on several onnxruntime sessions, each in its own worker thread. onnxruntime-node's
 * `session.run` runs the graph on the calling thread (its promise resolves after a synchronous run in a
 * `setImmediate`), so a session on the main thread blocks tokenization and everything else of annotation.
 * Here the main thread tokenizes and packs, and the sessions run in parallel: each run's texts are split
 * into one part per session, balanced by token count, and the parts run at once.
 */
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import { BackendError, encodeOnnxModel } from '@steerlm/core';
import { splitUseLiteEmbeddings, useLiteFeeds, useLiteSessionOptions, type UseLiteOnnxEncoder } from './use-lite-onnx-encoder';
import { USE_LITE_MAX_TOKENS, useLiteOnnxModel } from './use-lite-onnx-graph';
import type { UseLiteFiles } from './use-lite-weights';

/** The worker's code (CommonJS, self-contained): builds its session, then answers one run per message, in order. */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const ort = require(workerData.onnxruntimePath);
const describe = (error) => String((error && error.stack) || error);
const session = ort.InferenceSession.create(workerData.model, workerData.options);
session.then(() => parentPort.postMessage({ ready: true }), (error) => parentPort.postMessage({ failed: describe(error) }));
parentPort.on('message', async ({ feeds, texts }) => {
  try {
    const inputs = {};
    for (const { name, type, data, dims } of feeds) inputs[name] = new ort.Tensor(type, data, dims);
    const result = await (await session).run(inputs);
    const data = result.embeddings.data.slice(0, texts * 512);
    parentPort.postMessage({ data }, [data.buffer]);
  } catch (error) {
    parentPort.postMessage({ failed: describe(error) });
  }
});
`;

type Reply = { ready: true } | { data: Float32Array } | { failed: string };

/** One worker thread holding one session; replies come back in request order. */
class SessionWorker {
  private readonly waiting: { resolve: (reply: Reply) => void; reject: (error: Error) => void }[] = [];
  private failure: Error | undefined;

  constructor(private readonly worker: Worker) {
    worker.on('message', (reply: Reply) => this.waiting.shift()?.resolve(reply));
    const fail = (error: Error) => {
      this.failure ??= error;
      for (const waiting of this.waiting.splice(0)) waiting.reject(this.failure);
    };
    worker.on('error', (cause) => fail(new BackendError(`a USE-lite onnxruntime worker failed: ${cause.message}`, { cause, backend: 'onnxruntime' })));
    worker.on('exit', (code) => fail(new BackendError(`a USE-lite onnxruntime worker exited (code ${code})`, { backend: 'onnxruntime' })));
    worker.unref();
  }

  /** Runs waiting for a reply. */
  get pending(): number {
    return this.waiting.length;
  }

  /** Returns the next reply; the worker keeps the process alive only while a reply is awaited. */
  next(message?: { feeds: ReturnType<typeof useLiteFeeds>; texts: number }): Promise<Reply> {
    if (this.failure) return Promise.reject(this.failure);
    const reply = new Promise<Reply>((resolve, reject) => this.waiting.push({ resolve, reject }));
    this.worker.ref();
    if (message)
      this.worker.postMessage(
        message,
        message.feeds.map((feed) => feed.data.buffer as ArrayBuffer),
      );
    return reply.finally(() => {
      if (this.waiting.length === 0) this.worker.unref();
    });
  }

  async terminate(): Promise<void> {
    this.failure ??= new BackendError('the USE-lite onnxruntime worker was disposed', { backend: 'onnxruntime' });
    await this.worker.terminate();
  }
}

function answer(reply: Reply): Float32Array {
  if ('failed' in reply) {
    throw new BackendError('onnxruntime could not run the USE-lite graph in a worker thread', {
      backend: 'onnxruntime',
      hint: `use engine: "tfjs", or sessions: 0 (the main thread); worker said: ${reply.failed.split('\n')[0]}`,
    });
  }
  if (!('data' in reply)) throw new BackendError('a USE-lite onnxruntime worker answered out of turn', { backend: 'onnxruntime' });
  return reply.data;
}

/**
 * Returns where the token lists are cut into `parts` runs of consecutive texts with about the same number
 * of tokens each (clipped at 128, plus one per text), every part non-empty: the start index of each part.
 */
export function balancedParts(tokenLists: readonly ArrayLike<number>[], parts: number): number[] {
  const count = Math.max(1, Math.min(parts, tokenLists.length));
  const weights = tokenLists.map((ids) => Math.min(ids.length, USE_LITE_MAX_TOKENS) + 1);
  const total = weights.reduce((sum, weight) => sum + weight, 0);
  const starts = [0];
  let sum = 0;
  for (let index = 0; index < tokenLists.length && starts.length < count; index += 1) {
    sum += weights[index]!;
    const remainingTexts = tokenLists.length - (index + 1);
    const remainingParts = count - starts.length;
    const target = (total * starts.length) / count;
    // Cut here once the part reaches its share, or when the next text would overshoot it by more than stopping short.
    const next = weights[index + 1];
    if (remainingTexts === remainingParts || (next !== undefined && (sum >= target || sum + next - target > target - sum))) starts.push(index + 1);
  }
  return starts;
}

/**
 * Returns an encoder over `sessions` onnxruntime sessions with `threads` intra-op threads each, every one
 * in its own worker thread (onnxruntime-node is loaded in each from `onnxruntimePath`).
 */
export async function createUseLiteOnnxWorkers(files: UseLiteFiles, options: { sessions: number; threads: number }): Promise<UseLiteOnnxEncoder> {
  const onnxruntimePath = createRequire(import.meta.url).resolve('onnxruntime-node');
  const model = encodeOnnxModel(useLiteOnnxModel(files.weights));
  const workers = Array.from(
    { length: options.sessions },
    () => new SessionWorker(new Worker(WORKER_SOURCE, { eval: true, workerData: { onnxruntimePath, model, options: useLiteSessionOptions(options.threads) } })),
  );
  try {
    const replies = await Promise.all(workers.map((worker) => worker.next()));
    const failed = replies.find((reply): reply is { failed: string } => 'failed' in reply);
    if (failed) {
      throw new BackendError('onnxruntime could not load the USE-lite graph in a worker thread', {
        backend: 'onnxruntime',
        hint: `use engine: "tfjs", or sessions: 0 (the main thread); worker said: ${failed.failed.split('\n')[0]}`,
      });
    }
  } catch (error) {
    await Promise.all(workers.map((worker) => worker.terminate()));
    throw error;
  }
  return {
    threads: options.threads,
    async embedTokens(tokenLists) {
      if (tokenLists.length === 0) return [];
      const starts = balancedParts(tokenLists, workers.length);
      const idle = [...workers].sort((left, right) => left.pending - right.pending);
      const parts = await Promise.all(
        starts.map(async (start, part) => {
          const texts = tokenLists.slice(start, starts[part + 1] ?? tokenLists.length);
          return splitUseLiteEmbeddings(answer(await idle[part]!.next({ feeds: useLiteFeeds(texts), texts: texts.length })), texts.length);
        }),
      );
      return parts.flat();
    },
    async dispose() {
      await Promise.all(workers.map((worker) => worker.terminate()));
    },
  };
}
