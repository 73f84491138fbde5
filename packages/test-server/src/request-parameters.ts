import type { GenerateOptions } from '@steerlm/core';
import { RequestError } from './http-helpers';

function optionalNumber(body: Record<string, unknown>, name: string, ok: (value: number) => boolean, rule: string): number | undefined {
  const value = body[name];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'number' || !ok(value)) throw new RequestError(400, `${name} must be ${rule}, got ${JSON.stringify(value)}`, name);
  return value;
}

/** Returns the stop strings of a request (`stop` is a string or an array of strings). */
export function readStop(body: Record<string, unknown>): string[] {
  const stop = body.stop;
  if (stop === undefined || stop === null) return [];
  if (typeof stop === 'string') return [stop];
  if (Array.isArray(stop) && stop.every((item) => typeof item === 'string')) return stop as string[];
  throw new RequestError(400, 'stop must be a string or an array of strings', 'stop');
}

/** Returns the GenerateOptions of an OpenAI request body (vLLM's top_k and repetition_penalty included). */
export function readGenerateOptions(body: Record<string, unknown>, defaultMaxTokens: number, extraStops: readonly string[] = []): GenerateOptions {
  const maxTokens = optionalNumber(body, 'max_tokens', (v) => Number.isInteger(v) && v >= 0, 'an integer >= 0') ?? defaultMaxTokens;
  const temperature = optionalNumber(body, 'temperature', (v) => Number.isFinite(v) && v >= 0 && v <= 2, 'a number in [0, 2]');
  const topP = optionalNumber(body, 'top_p', (v) => Number.isFinite(v) && v > 0 && v <= 1, 'in (0, 1]');
  const topK = optionalNumber(body, 'top_k', (v) => Number.isInteger(v) && v >= -1, 'an integer >= -1 (-1: off)');
  const repetitionPenalty = optionalNumber(body, 'repetition_penalty', (v) => Number.isFinite(v) && v > 0, 'a number > 0');
  const seed = optionalNumber(body, 'seed', (v) => Number.isInteger(v), 'an integer');
  const stop = [...readStop(body), ...extraStops];
  return {
    maxTokens,
    ...(temperature !== undefined ? { temperature } : {}),
    ...(topP !== undefined ? { topP } : {}),
    ...(topK !== undefined && topK > 0 ? { topK } : {}),
    ...(repetitionPenalty !== undefined ? { repetitionPenalty } : {}),
    ...(seed !== undefined ? { seed } : {}),
    ...(stop.length > 0 ? { stop } : {}),
  };
}

/** Returns `n`, the number of choices per prompt (1..16). */
export function readChoiceCount(body: Record<string, unknown>): number {
  return optionalNumber(body, 'n', (v) => Number.isInteger(v) && v >= 1 && v <= 16, 'an integer in 1..16') ?? 1;
}

/** Returns the options of choice `index` of a request: a given seed becomes seed + index, so choices differ. */
export function choiceOptions(options: GenerateOptions, index: number): GenerateOptions {
  return options.seed !== undefined ? { ...options, seed: options.seed + index } : options;
}
