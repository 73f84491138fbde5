import { steerlmTemplate, type GenerateOptions, type GenerateResult } from '@steerlm/core';

/** The sampling settings of bootstrap generation unless overridden: top-k 50 (SteerLM §3.4), temperature 1, 512 tokens. */
export const DEFAULT_BOOTSTRAP_SAMPLING: Readonly<Omit<GenerateOptions, 'seed' | 'signal'>> = Object.freeze({ topK: 50, temperature: 1, maxTokens: 512 });

/**
 * Where a sample ends: the template's end of turn, and any other of its control tokens (a model that writes
 * `<extra_id_0>` or `<extra_id_2>` has left its turn, and a response holding one could not be trained on).
 */
export const BOOTSTRAP_STOP_STRINGS: readonly string[] = Object.freeze([...new Set([...steerlmTemplate.stopStrings, ...steerlmTemplate.specialTokens])]);

/** Returns the options of one sample: defaults, overrides, the derived seed and the template's stop strings. */
export function sampleOptions(
  overrides: Omit<GenerateOptions, 'seed' | 'signal'> | undefined,
  seed: number,
  stop: readonly string[],
  signal: AbortSignal | undefined,
): GenerateOptions {
  const merged = { ...DEFAULT_BOOTSTRAP_SAMPLING, ...overrides };
  return { ...merged, seed, stop: [...new Set([...stop, ...(merged.stop ?? [])])], ...(signal ? { signal } : {}) };
}

/**
 * Returns the response text of a generation: without the template's end-of-turn newline that
 * precedes the stop string (`…answer\n<extra_id_1>`), which the template adds back when rendering.
 */
export function responseText(result: GenerateResult): string {
  return result.finishReason === 'stop' && result.text.endsWith('\n') ? result.text.slice(0, -1) : result.text;
}
