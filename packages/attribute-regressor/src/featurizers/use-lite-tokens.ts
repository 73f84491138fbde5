/**
 * The token ids USE-lite sees: those of the package's own SentencePiece tokenizer (@energetic-ai/embeddings),
 * clipped to the 128 tokens the model keeps, without tokenizing the rest of a long text.
 *
 * Why the clip is exact: the tokenizer NFKC-normalizes the text, turns every space into "▁" and runs a
 * Viterbi search over vocabulary pieces, none of which has "▁" after its first character (checked when the
 * vocabulary loads). So no piece crosses a space: every segmentation splits before it, the best
 * segmentation of the text before a space does not depend on what follows, and the ids of a prefix cut
 * just before a space are exactly the first ids of the whole text. The cut is made on the normalized text
 * (NFKC can turn other characters into spaces), before a plain space, which NFKC leaves alone and which
 * composes with nothing, so the prefix is itself normalized. When the prefix yields fewer than 128 ids,
 * the cut moves twice as far, up to the whole text.
 */
import { BackendError } from '@steerlm/core';
import { USE_LITE_MAX_TOKENS } from './use-lite-onnx-graph';
import { createUseLiteSentencePiece, type UseLiteSentencePiece } from './use-lite-sentence-piece';

export type { UseLiteSentencePiece } from './use-lite-sentence-piece';

const SEPARATOR = '\u2581';
/** The first cut, in characters of normalized text: ≈ 5 characters per token of English prose. */
const FIRST_CUT = 640;

/**
 * Returns the tokenizer over `vocabulary` (the ids of the package's own, O(n · longest piece): see
 * use-lite-sentence-piece.ts), or throws when a piece could cross a space (the clip would not be exact).
 */
export async function loadUseLiteTokenizer(vocabulary: [string, number][]): Promise<UseLiteSentencePiece> {
  const crossing = vocabulary.find(([piece]) => piece.indexOf(SEPARATOR, 1) > 0);
  if (crossing !== undefined) {
    throw new BackendError(`the USE-lite vocabulary has a piece with a space inside (${JSON.stringify(crossing[0])}), so long texts cannot be clipped early`, {
      backend: 'onnxruntime',
      hint: 'use engine: "tfjs" for this model',
    });
  }
  return createUseLiteSentencePiece(vocabulary);
}

/**
 * Returns the ids of the first 128 tokens of `text` (all of them when fewer), exactly as the tokenizer
 * gives them for the whole text. `firstCut` (characters) is where the first prefix ends, at the next space.
 */
export function useLiteTokenIds(tokenizer: UseLiteSentencePiece, text: string, firstCut = FIRST_CUT): number[] {
  const normalized = text.normalize('NFKC');
  for (let cut = Math.max(1, firstCut); cut < normalized.length; cut *= 2) {
    const space = normalized.indexOf(' ', cut);
    if (space < 0) break;
    const ids = tokenizer.encode(normalized.slice(0, space));
    if (ids.length >= USE_LITE_MAX_TOKENS) return ids.slice(0, USE_LITE_MAX_TOKENS);
  }
  return tokenizer.encode(normalized).slice(0, USE_LITE_MAX_TOKENS);
}
