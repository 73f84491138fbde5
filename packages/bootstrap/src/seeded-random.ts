import { hashString } from '@steerlm/core';

/** Returns a 31-bit seed derived from a base seed and any keys (e.g. a prompt id and a sample index). */
export function deriveSeed(seed: number, ...keys: readonly (string | number)[]): number {
  return hashString(`${seed}\u0000${keys.join('\u0000')}`) & 0x7fffffff;
}
