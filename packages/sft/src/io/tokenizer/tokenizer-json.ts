/** One entry of `added_tokens` in a Hugging Face `tokenizer.json`. */
export interface AddedTokenJson {
  id: number;
  content: string;
  single_word: boolean;
  lstrip: boolean;
  rstrip: boolean;
  normalized: boolean;
  special: boolean;
}

/**
 * The parts of a Hugging Face `tokenizer.json` this package reads and writes; other keys are kept as
 * they are. `model.vocab` maps token strings to ids (BPE, WordPiece) or is a list (Unigram).
 */
export interface TokenizerJson {
  version?: string;
  added_tokens: AddedTokenJson[];
  model: { type: string; vocab?: Record<string, number> | unknown[]; merges?: unknown[]; [key: string]: unknown };
  [key: string]: unknown;
}

/** Returns the `added_tokens` entry of a special token that is not normalized and not stripped. */
export function specialAddedToken(id: number, content: string): AddedTokenJson {
  return { id, content, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true };
}
