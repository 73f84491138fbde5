/** Why a judge's reply yielded no verdict. */
export type UnparseableReason = 'no-verdict' | 'out-of-range';

/** The verdict read from a judge's reply, or why none could be read. */
export type ParsedVerdict<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly reason: UnparseableReason; readonly found?: string };

const ratingPattern = /\[\[\s*([+-]?\d+(?:\.\d+)?)\s*\]\]/g;
const pairwisePattern = /\[\[\s*(a|b|c|tie)\s*\]\]/gi;

/**
 * Returns the rating of a single-answer grading reply: the LAST well-formed `[[n]]` (as in
 * `Rating: [[7]]`; spaces, case and decimals tolerated), or `out-of-range` when that verdict lies
 * outside `min..max`, or `no-verdict` when the reply holds none. Never guesses.
 */
export function parseRating(reply: string, range: { min: number; max: number } = { min: 1, max: 10 }): ParsedVerdict<number> {
  const matches = [...reply.matchAll(ratingPattern)];
  const last = matches[matches.length - 1];
  if (!last) return { ok: false, reason: 'no-verdict' };
  const value = Number(last[1]);
  if (!Number.isFinite(value) || value < range.min || value > range.max) return { ok: false, reason: 'out-of-range', found: last[0] };
  return { ok: true, value };
}

/** Returns the pairwise verdict of a reply: the LAST `[[A]]`, `[[B]]` or `[[C]]`/`[[tie]]` (case and spaces tolerated). */
export function parsePairwiseVerdict(reply: string): ParsedVerdict<'A' | 'B' | 'tie'> {
  const matches = [...reply.matchAll(pairwisePattern)];
  const last = matches[matches.length - 1];
  if (!last) return { ok: false, reason: 'no-verdict' };
  const label = last[1]!.toUpperCase();
  return { ok: true, value: label === 'A' ? 'A' : label === 'B' ? 'B' : 'tie' };
}
