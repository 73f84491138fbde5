import { seededRandom } from '@steerlm/core';
import { prefillLogits, readLogitRows, stepLogits } from './decode-steps';
import type { DecoderModel } from './decoder-model';
import { KeyValueCache } from './key-value-cache';
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
 */
export async function* generateTokens(
  model: DecoderModel,
  prompts: readonly (readonly number[])[],
  options: GenerateTokensOptions,
): AsyncGenerator<GeneratedStep> {
  validateSamplingOptions(options);
  const B = prompts.length;
  if (B === 0) return;
  const groups = options.groups ?? prompts.map((_, row) => [{ row, weight: 1 }]);
  validateRowGroups(groups, B);
  const G = groups.length;
  const groupOf = new Array<number>(B);
  groups.forEach((group, index) => group.forEach(({ row }) => (groupOf[row] = index)));
  const random = seededRandom(options.seed ?? Date.now());
  const lengths = prompts.map((prompt) => prompt.length);
  // A group's rows share its tokens: it ends when its longest prompt runs out of positions.
  const groupLengths = groups.map((group) => Math.max(...group.map(({ row }) => lengths[row]!)));
  const cache = new KeyValueCache();
  const finished = new Array<boolean>(G).fill(false);
  const produced: number[][] = groups.map(() => []);
  const seen = groups.map((group) => new Set(prompts[group[0]!.row]));
  const stopIds = new Set(options.stopTokenIds ?? []);
  const lastPosition = model.config.maxPositionEmbeddings - 1;
  try {
    let logitsRows = await readLogitRows(prefillLogits(model, prompts, cache));
    cache.nextPositions = lengths.map((length) => Math.min(length, lastPosition));
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
      logitsRows = await readLogitRows(
        stepLogits(
          model,
          groupOf.map((group) => tokens[group] ?? 0),
          cache,
        ),
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
