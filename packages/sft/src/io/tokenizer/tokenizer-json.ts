import { ModelFormatError } from '@steerlm/core';

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

export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Returns `value` checked to have the shape of a tokenizer.json (model with a type, added_tokens list); `file` names it in errors. */
export function validateTokenizerJson(value: unknown, file?: string): TokenizerJson {
  if (!isObject(value)) throw new ModelFormatError('tokenizer.json must be a JSON object', { file });
  if (!isObject(value.model) || typeof value.model.type !== 'string') {
    throw new ModelFormatError('tokenizer.json has no "model" object with a "type"', { file, field: 'model' });
  }
  const added = value.added_tokens ?? [];
  if (!Array.isArray(added)) throw new ModelFormatError('"added_tokens" must be a list', { file, field: 'added_tokens' });
  added.forEach((token: unknown, index) => {
    if (!isObject(token) || !Number.isSafeInteger(token.id) || (token.id as number) < 0 || typeof token.content !== 'string' || token.content.length === 0) {
      throw new ModelFormatError(`added token ${index} must have a non-negative integer "id" and a non-empty "content"`, {
        file,
        field: `added_tokens[${index}]`,
      });
    }
  });
  return { ...value, added_tokens: added as TokenizerJson['added_tokens'], model: value.model as TokenizerJson['model'] };
}

/** Returns one more than the largest token id of the model vocabulary and the added tokens (the embedding rows needed). */
export function tokenizerVocabSize(tokenizerJson: TokenizerJson): number {
  let size = 0;
  const vocab = tokenizerJson.model.vocab;
  if (Array.isArray(vocab)) size = vocab.length;
  else if (isObject(vocab)) for (const id of Object.values(vocab)) if (typeof id === 'number' && id + 1 > size) size = id + 1;
  for (const token of tokenizerJson.added_tokens) if (token.id + 1 > size) size = token.id + 1;
  return size;
}
