import { seededRandom } from '@steerlm/core';
import type { DecodeSession } from './decode-session';
// Types only: the loop itself needs neither tfjs nor Node (the browser playground bundles it).
import type { DecoderModel } from './decoder-model';
import { mixLogitRows, validateRowGroups, type RowWeight } from './mix-logit-rows';
import { sampleToken, validateSamplingOptions, type SamplingOptions } from './sampling';

export interface GenerateTokensOptions extends SamplingOptions {
  maxTokens: number;
  seed?: number;
  /** Token ids that end a row (e.g. EOS). */
  stopTokenIds?: readonly number[];
  /** Called after each step; return true for a row to stop it (e.g. a stop string appeared). */
  shouldStop?: (row: number, tokens: readonly number[]) => boolean;
  signal?: AbortSignal;
  /**
   * Logit mixing (attribute guidance and interpolation): each group of prompt rows samples one token a
   * step from Σ weight · logits(row) (see mixLogitRows), and all its rows are fed that token. Steps then
   * hold one token per group, `shouldStop` gets the group index, and a group ends when any of its rows
   * reaches the model's last position. Default: one group per row, of weight 1 (plain decoding).
   */
  groups?: readonly (readonly RowWeight[])[];
  /** Called with each step's logits rows (one per group, mixed) before sampling; for inspection. */
  onLogits?: (step: number, logits: readonly Float32Array[]) => void;
}

/** One decoding step's new tokens: `tokens[row]` (or `[group]`) is undefined for rows already finished. */
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
  const session = 'prefill' in source ? source : source.startDecode();
  const B = prompts.length;
  const groups = options.groups ?? prompts.map((_, row) => [{ row, weight: 1 }]);
  try {
    validateSamplingOptions(options);
    validateRowGroups(groups, B);
  } catch (error) {
    session.dispose();
    throw error;
  }
  if (B === 0) return session.dispose();
  const G = groups.length;
  const groupOf = new Array<number>(B);
  groups.forEach((group, index) => group.forEach(({ row }) => (groupOf[row] = index)));
  const random = seededRandom(options.seed ?? Date.now());
  const lengths = prompts.map((prompt) => prompt.length);
  // A group's rows share its tokens: it ends when its longest prompt runs out of positions.
  const groupLengths = groups.map((group) => Math.max(...group.map(({ row }) => lengths[row]!)));
  const finished = new Array<boolean>(G).fill(false);
  const produced: number[][] = groups.map(() => []);
  const seen = groups.map((group) => new Set(prompts[group[0]!.row]));
  const stopIds = new Set(options.stopTokenIds ?? []);
  const lastPosition = session.maxPositions - 1;
  try {
    let logitsRows = await session.prefill(prompts);
    for (let step = 0; step < options.maxTokens; step++) {
      if (options.signal?.aborted) return;
      const mixed = options.groups ? mixLogitRows(logitsRows, groups) : logitsRows;
      options.onLogits?.(step, mixed);
      const tokens = mixed.map((row, index) => {
        if (finished[index]) return undefined;
        const token = sampleToken(row, seen[index]!, options, random);
        produced[index]!.push(token);
        seen[index]!.add(token);
        if (stopIds.has(token) || options.shouldStop?.(index, produced[index]!)) finished[index] = true;
        // The new token would be fed at position length + produced - 1: beyond the model, the row ends.
        if (groupLengths[index]! + produced[index]!.length - 1 > lastPosition) finished[index] = true;
        return token;
      });
      yield { step, tokens };
      if (finished.every(Boolean) || step === options.maxTokens - 1) return;
      // Every row of a group is fed its group's token (a finished group's rows get a filler whose output is ignored).
      logitsRows = await session.step(groupOf.map((group) => tokens[group]));
      // On cpu/wasm the read above resolves as a microtask: let timers and sockets (the server) run
      // (setImmediate where there is one: setTimeout waits a millisecond or more, longer than a step).
      await new Promise<void>((resolve) => (typeof setImmediate === 'function' ? setImmediate(resolve) : setTimeout(resolve, 0)));
    }
  } finally {
    session.dispose();
  }
}
