import { seededRandom } from '@steerlm/core';
import type { DecodeSession } from './decode-session';
import type { DecoderModel } from './decoder-model';
import { TfjsDecodeSession } from './tfjs-decode-session';
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

/**
 * Yields the new tokens of every prompt row step by step (batched KV-cache decoding). Prompts are
 * right-padded for the prefill; each row then continues from its own position, with a key mask over
 * the padding gap. A row also ends when it reaches the model's last position (as a `maxTokens` end).
 * `source` is a model (decoded with tfjs) or a {@link DecodeSession} of another engine; the session is
 * disposed when the generator ends.
 */
export async function* generateTokens(
  source: DecoderModel | DecodeSession,
  prompts: readonly (readonly number[])[],
  options: GenerateTokensOptions,
): AsyncGenerator<GeneratedStep> {
  const session = 'prefill' in source ? source : new TfjsDecodeSession(source);
  const B = prompts.length;
  try {
    validateSamplingOptions(options);
  } catch (error) {
    session.dispose();
    throw error;
  }
  if (B === 0) return session.dispose();
  const random = seededRandom(options.seed ?? Date.now());
  const lengths = prompts.map((prompt) => prompt.length);
  const finished = new Array<boolean>(B).fill(false);
  const produced: number[][] = prompts.map(() => []);
  const seen = prompts.map((prompt) => new Set(prompt));
  const stopIds = new Set(options.stopTokenIds ?? []);
  const lastPosition = session.maxPositions - 1;
  try {
    let logitsRows = await session.prefill(prompts);
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
      logitsRows = await session.step(tokens);
      // On cpu/wasm the read above resolves as a microtask: let timers and sockets (the server) run
      // (setImmediate where there is one: setTimeout waits a millisecond or more, longer than a step).
      await new Promise<void>((resolve) => (typeof setImmediate === 'function' ? setImmediate(resolve) : setTimeout(resolve, 0)));
    }
  } finally {
    session.dispose();
  }
}
