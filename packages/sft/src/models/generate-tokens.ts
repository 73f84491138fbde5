import * as tf from '@tensorflow/tfjs';
import { seededRandom } from '@steerlm/core';
import { readRows } from '../backend/read-tensor';
import type { DecoderModel } from './decoder-model';
import { KeyValueCache } from './key-value-cache';
import { sampleToken, validateSamplingOptions, type SamplingOptions } from './sampling';

export interface GenerateTokensOptions extends SamplingOptions {
  maxTokens: number;
  seed?: number;
  /** Token ids that end a row (e.g. EOS). */
  stopTokenIds?: readonly number[];
  /** Called after each step; return true for a row to stop it (e.g. a stop string appeared). */
  shouldStop?: (row: number, tokens: readonly number[]) => boolean;
  signal?: AbortSignal;
}

/** One decoding step's new tokens: `tokens[row]` is undefined for rows already finished. */
export interface GeneratedStep {
  step: number;
  tokens: (number | undefined)[];
}

/** Resolves to the rows of a [B, V] logits tensor (read asynchronously, GPU errors checked) and disposes it. */
async function readLogitRows(logits: tf.Tensor2D): Promise<Float32Array[]> {
  try {
    return await readRows(logits, 'decoding');
  } finally {
    logits.dispose();
  }
}

/**
 * Yields the new tokens of every prompt row step by step (batched KV-cache decoding). Prompts are
 * right-padded for the prefill; each row then continues from its own position, with a key mask over
 * the padding gap. A row also ends when it reaches the model's last position (as a `maxTokens` end).
 */
export async function* generateTokens(
  model: DecoderModel,
  prompts: readonly (readonly number[])[],
  options: GenerateTokensOptions,
): AsyncGenerator<GeneratedStep> {
  validateSamplingOptions(options);
  const B = prompts.length;
  if (B === 0) return;
  const random = seededRandom(options.seed ?? Date.now());
  const lengths = prompts.map((prompt) => prompt.length);
  const longest = Math.max(...lengths);
  const cache = new KeyValueCache();
  const finished = new Array<boolean>(B).fill(false);
  const produced: number[][] = prompts.map(() => []);
  const seen = prompts.map((prompt) => new Set(prompt));
  const stopIds = new Set(options.stopTokenIds ?? []);
  const lastPosition = model.config.maxPositionEmbeddings - 1;
  try {
    let logitsRows = await readLogitRows(
      tf.tidy(() => {
        const ids = tf.tensor2d(
          prompts.map((prompt) => [...prompt, ...new Array<number>(longest - prompt.length).fill(0)]),
          [B, longest],
          'int32',
        );
        const keyMask = tf.tensor2d(
          prompts.map((prompt) => Array.from({ length: longest }, (_, t) => (t < prompt.length ? 1 : 0))),
          [B, longest],
        );
        const hidden = model.hidden({ ids, keyMask, cache });
        const last = tf.gather(
          hidden,
          lengths.map((length, row) => row * longest + length - 1),
        );
        return tf.matMul(last, model.outputEmbedding(), false, true) as tf.Tensor2D;
      }),
    );
    cache.nextPositions = lengths.map((length) => Math.min(length, lastPosition));
    for (let step = 0; step < options.maxTokens; step++) {
      if (options.signal?.aborted) return;
      const tokens = logitsRows.map((row, index) => {
        if (finished[index]) return undefined;
        const token = sampleToken(row, seen[index]!, options, random);
        produced[index]!.push(token);
        seen[index]!.add(token);
        if (stopIds.has(token) || options.shouldStop?.(index, produced[index]!)) finished[index] = true;
        // The new token would be fed at position lengths[index] + produced - 1: beyond the model, the row ends.
        if (lengths[index]! + produced[index]!.length - 1 > lastPosition) finished[index] = true;
        return token;
      });
      yield { step, tokens };
      if (finished.every(Boolean) || step === options.maxTokens - 1) return;
      logitsRows = await readLogitRows(
        tf.tidy(() => {
          const ids = tf.tensor2d(
            tokens.map((token) => [token ?? 0]),
            [B, 1],
            'int32',
          );
          const hidden = model.hidden({ ids, cache });
          return tf.matMul(hidden, model.outputEmbedding(), false, true) as tf.Tensor2D;
        }),
      );
      // Finished rows are fed a filler token whose output is ignored; keep them inside the model's positions.
      cache.nextPositions = cache.nextPositions.map((position) => Math.min(position + 1, lastPosition));
      // On cpu/wasm the read above resolves as a microtask: let timers and sockets (the server) run.
      await new Promise<void>((resolve) => setTimeout(resolve, 0));
    }
  } finally {
    cache.dispose();
  }
}
