import type { GenerateOptions, GenerateResult, LanguageModel, LogProbabilityResult } from '@steerlm/core';
import type { LocalLanguageModel } from '@steerlm/sft';

interface PendingRequest {
  readonly prompt: string;
  readonly options: GenerateOptions;
  readonly resolve: (result: GenerateResult) => void;
  readonly reject: (error: unknown) => void;
}

/**
 * A LanguageModel that decodes concurrent `generate` calls together through the local model's
 * `generateBatch`. A batch leaves when `batchSize` requests wait (or, near the end, every request still
 * expected); its rows are sorted by seed and prompt and decoded with the smallest seed, so a run whose
 * callers keep `batchSize` requests in flight (runBootstrap with that concurrency) is reproducible. An
 * idle timer flushes a short batch when callers send fewer requests than announced.
 */
export class BatchingLanguageModel implements LanguageModel {
  readonly specificationVersion = 'v1' as const;
  readonly modelId: string;
  readonly #model: LocalLanguageModel;
  readonly #batchSize: number;
  readonly #idleFlushMs: number;
  #expected: number;
  #queue: PendingRequest[] = [];
  #timer: ReturnType<typeof setTimeout> | undefined;
  #running = Promise.resolve();

  constructor(model: LocalLanguageModel, options: { batchSize: number; expectedRequests: number; idleFlushMs?: number }) {
    this.#model = model;
    this.modelId = model.modelId;
    this.#batchSize = options.batchSize;
    this.#expected = options.expectedRequests;
    this.#idleFlushMs = options.idleFlushMs ?? 500;
  }

  /** Returns the continuation of `prompt`, decoded in a batch with other waiting requests. */
  generate(prompt: string, options: GenerateOptions = {}): Promise<GenerateResult> {
    return new Promise<GenerateResult>((resolve, reject) => {
      this.#queue.push({ prompt, options, resolve, reject });
      if (this.#queue.length >= Math.min(this.#batchSize, Math.max(1, this.#expected))) this.#flush();
      else this.#armTimer();
    });
  }

  /** Returns the log-probability of `continuation` after `prompt` (not batched). */
  logProbability(prompt: string, continuation: string): Promise<LogProbabilityResult> {
    return this.#model.logProbability(prompt, continuation);
  }

  #armTimer(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = setTimeout(() => this.#flush(), this.#idleFlushMs);
  }

  #flush(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    if (this.#queue.length === 0) return;
    const batch = this.#queue.sort(
      (left, right) => (left.options.seed ?? 0) - (right.options.seed ?? 0) || (left.prompt < right.prompt ? -1 : left.prompt > right.prompt ? 1 : 0),
    );
    this.#queue = [];
    this.#expected -= batch.length;
    const { seed: _seed, ...shared } = batch[0]!.options;
    const seed = batch[0]!.options.seed;
    this.#running = this.#running.then(async () => {
      try {
        const results = await this.#model.generateBatch(
          batch.map((request) => request.prompt),
          { ...shared, ...(seed !== undefined ? { seed } : {}) },
        );
        batch.forEach((request, index) => request.resolve(results[index]!));
      } catch (error) {
        for (const request of batch) request.reject(error);
      }
    });
  }
}
