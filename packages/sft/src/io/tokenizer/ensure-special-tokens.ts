import { InvalidOptionError, steerlmTemplate } from '@steerlm/core';
import { writeTextFileAtomically } from '@steerlm/core/node';
import { locateTokenizerFiles, readTokenizerFiles, tokenizerVocabSize, validateTokenizerJson } from './read-tokenizer-files';
import { specialAddedToken, type TokenizerJson } from './tokenizer-json';

/** What {@link ensureSpecialTokens} did. */
export interface EnsureSpecialTokensResult {
  /** The updated tokenizer.json (a new object; the input is not changed). */
  tokenizerJson: TokenizerJson;
  /** Every requested token and its id, whether it was there already or not. */
  ids: Record<string, number>;
  /** The tokens given new ids. */
  added: string[];
  /** Vocabulary size (largest id + 1) before and after. */
  previousVocabSize: number;
  vocabSize: number;
  /** Rows the embedding (and an untied LM head) must grow by: max(0, vocabSize − embeddingRows). */
  embeddingRowsToAdd: number;
}

/** Options of {@link ensureSpecialTokens}. */
export interface EnsureSpecialTokensOptions {
  /** The tokens to make single special tokens (default: SteerLM's `<extra_id_0>`, `<extra_id_1>`, `<extra_id_2>`). */
  tokens?: readonly string[];
  /** Rows of the model's embedding today (default: the tokenizer's vocabulary size before the change). */
  embeddingRows?: number;
}

/** Returns `tokenizerJson` with every token of `options.tokens` an added special token (new ids at the end), and what changed. */
export function ensureSpecialTokensInJson(tokenizerJson: unknown, options: EnsureSpecialTokensOptions = {}): EnsureSpecialTokensResult {
  const tokens = options.tokens ?? steerlmTemplate.specialTokens;
  if (tokens.some((token) => typeof token !== 'string' || token.length === 0)) {
    throw new InvalidOptionError('special tokens must be non-empty strings', { option: 'tokens' });
  }
  const source = validateTokenizerJson(tokenizerJson);
  const json: TokenizerJson = { ...source, added_tokens: source.added_tokens.map((token) => ({ ...token })) };
  const previousVocabSize = tokenizerVocabSize(source);
  const vocab = source.model.vocab;
  const vocabIds = new Map<string, number>();
  if (Array.isArray(vocab)) {
    vocab.forEach((entry, id) => {
      const piece = Array.isArray(entry) ? entry[0] : entry;
      if (typeof piece === 'string') vocabIds.set(piece, id);
    });
  } else if (vocab !== undefined) {
    for (const [piece, id] of Object.entries(vocab)) if (typeof id === 'number') vocabIds.set(piece, id);
  }

  let nextId = previousVocabSize;
  const ids: Record<string, number> = {};
  const added: string[] = [];
  for (const token of tokens) {
    const existing = json.added_tokens.find((entry) => entry.content === token);
    if (existing !== undefined) {
      existing.special = true;
      ids[token] = existing.id;
      continue;
    }
    const vocabId = vocabIds.get(token);
    if (vocabId !== undefined) {
      json.added_tokens.push(specialAddedToken(vocabId, token));
      ids[token] = vocabId;
      continue;
    }
    json.added_tokens.push(specialAddedToken(nextId, token));
    ids[token] = nextId;
    added.push(token);
    nextId += 1;
  }
  json.added_tokens.sort((left, right) => left.id - right.id);
  const vocabSize = tokenizerVocabSize(json);
  const embeddingRows = options.embeddingRows ?? previousVocabSize;
  if (!Number.isSafeInteger(embeddingRows) || embeddingRows < 0) {
    throw new InvalidOptionError(`embeddingRows must be a non-negative integer, got ${embeddingRows}`, { option: 'embeddingRows' });
  }
  return { tokenizerJson: json, ids, added, previousVocabSize, vocabSize, embeddingRowsToAdd: Math.max(0, vocabSize - embeddingRows) };
}

/**
 * Makes the SteerLM special tokens (or `options.tokens`) single special tokens of a tokenizer. Given a
 * folder (or tokenizer.json path), rewrites tokenizer.json — and tokenizer_config.json's
 * `added_tokens_decoder` when that file exists — atomically; given a tokenizer.json object, changes no
 * file. Returns the ids, the new tokens and how many rows the embedding must grow by.
 */
export async function ensureSpecialTokens(tokenizer: string | TokenizerJson, options: EnsureSpecialTokensOptions = {}): Promise<EnsureSpecialTokensResult> {
  if (typeof tokenizer !== 'string') return ensureSpecialTokensInJson(tokenizer, options);
  const files = await locateTokenizerFiles(tokenizer);
  const { tokenizerJson, tokenizerConfig } = await readTokenizerFiles(files);
  const result = ensureSpecialTokensInJson(tokenizerJson, options);
  const changed = JSON.stringify(result.tokenizerJson.added_tokens) !== JSON.stringify(tokenizerJson.added_tokens);
  if (!changed) return result;
  await writeTextFileAtomically(files.tokenizerJsonPath, JSON.stringify(result.tokenizerJson, null, 2));
  const decoder = tokenizerConfig.added_tokens_decoder;
  if (typeof decoder === 'object' && decoder !== null && !Array.isArray(decoder)) {
    const updated: Record<string, unknown> = { ...(decoder as Record<string, unknown>) };
    for (const token of result.tokenizerJson.added_tokens) {
      if (Object.values(result.ids).includes(token.id)) {
        const { id: _id, ...rest } = token;
        updated[String(token.id)] = rest;
      }
    }
    await writeTextFileAtomically(files.tokenizerConfigPath, `${JSON.stringify({ ...tokenizerConfig, added_tokens_decoder: updated }, null, 2)}\n`);
  }
  return result;
}
