// No Node imports: the browser playground bundles this (loadTokenizer, which reads files, is in load-tokenizer).
import { ModelFormatError, type Tokenizer } from '@steerlm/core';
import { tokenizerVocabSize, validateTokenizerJson, type TokenizerJson } from './tokenizer-json';

/** The part of transformers.js's PreTrainedTokenizer used here (a foreign boundary, typed narrowly). */
interface TransformersTokenizerInstance {
  encode(text: string, options?: { add_special_tokens?: boolean }): number[];
  decode(ids: number[], options?: { skip_special_tokens?: boolean; clean_up_tokenization_spaces?: boolean }): string;
  bos_token_id?: number;
  eos_token_id?: number;
  pad_token_id?: number;
  unk_token_id?: number;
  _tokenizer: {
    token_to_id(token: string): number | undefined;
    id_to_token(id: number): string | undefined;
    get_added_tokens_decoder(): Map<number, { content: string; special: boolean }>;
  };
}

type TokenizerConstructor = new (tokenizerJson: unknown, tokenizerConfig: unknown) => TransformersTokenizerInstance;

/** Options of encode. */
export interface TokenizerEncodeOptions {
  /** Add what the tokenizer's post-processor adds (a BOS for Llama tokenizers); default false. */
  addSpecialTokens?: boolean;
}

/** Options of decode. */
export interface TokenizerDecodeOptions {
  /** Leave special tokens out of the text; default false. */
  skipSpecialTokens?: boolean;
}

/**
 * A Hugging Face fast tokenizer (tokenizer.json) run by transformers.js, behind the @steerlm/core
 * Tokenizer interface. Decoding never "cleans up" spaces, so `decode(encode(text)) === text` for
 * byte-level tokenizers.
 */
export class TransformersTokenizer implements Tokenizer {
  readonly specificationVersion = 'v1' as const;
  /** Embedding rows the ids need: one more than the largest token id (added tokens included). */
  readonly vocabSize: number;
  /** Every special token (added tokens marked special) and its id. */
  readonly specialTokens: Readonly<Record<string, number>>;
  readonly eosTokenId: number | undefined;
  readonly bosTokenId: number | undefined;
  readonly padTokenId: number | undefined;

  constructor(
    private readonly inner: TransformersTokenizerInstance,
    /** The tokenizer.json the tokenizer was built from. */
    readonly tokenizerJson: TokenizerJson,
    /** The tokenizer_config.json it was built with (empty when absent). */
    readonly tokenizerConfig: Readonly<Record<string, unknown>>,
  ) {
    this.vocabSize = tokenizerVocabSize(tokenizerJson);
    const specials: Record<string, number> = {};
    for (const [id, token] of inner._tokenizer.get_added_tokens_decoder()) {
      if (token.special) Object.defineProperty(specials, token.content, { value: id, enumerable: true });
    }
    this.specialTokens = Object.freeze(specials);
    this.eosTokenId = inner.eos_token_id ?? undefined;
    this.bosTokenId = inner.bos_token_id ?? undefined;
    this.padTokenId = inner.pad_token_id ?? undefined;
  }

  /** Returns the token ids of `text`; special tokens written in the text become their single ids. */
  encode(text: string, options: TokenizerEncodeOptions = {}): number[] {
    return this.inner.encode(text, { add_special_tokens: options.addSpecialTokens ?? false });
  }

  /** Returns the text of `ids`, exactly as encoded (no clean-up of spaces). */
  decode(ids: readonly number[], options: TokenizerDecodeOptions = {}): string {
    if (ids.length === 0) return '';
    return this.inner.decode([...ids], { skip_special_tokens: options.skipSpecialTokens ?? false, clean_up_tokenization_spaces: false });
  }

  /** Returns the id of token string `token` (vocabulary or added token), or undefined. */
  tokenToId(token: string): number | undefined {
    return this.inner._tokenizer.token_to_id(token) ?? undefined;
  }

  /** Returns the token string of `id`, or undefined when no token has it. */
  idToToken(id: number): string | undefined {
    return this.inner._tokenizer.id_to_token(id) ?? undefined;
  }
}

async function tokenizerClass(name: unknown): Promise<TokenizerConstructor> {
  const transformers = (await import('@huggingface/transformers')) as unknown as Record<string, unknown>;
  const base = transformers.PreTrainedTokenizer as TokenizerConstructor;
  if (typeof name === 'string') {
    const candidate = transformers[name.replace(/Fast$/, '')];
    if (typeof candidate === 'function' && (candidate === base || candidate.prototype instanceof base)) return candidate as TokenizerConstructor;
  }
  return base;
}

/**
 * Returns a tokenizer built from an in-memory tokenizer.json (and tokenizer_config.json) object, with
 * the transformers.js class the config's `tokenizer_class` names (as its AutoTokenizer would choose).
 */
export async function tokenizerFromJson(tokenizerJson: unknown, tokenizerConfig: Record<string, unknown> = {}, file?: string): Promise<TransformersTokenizer> {
  const json = validateTokenizerJson(tokenizerJson, file);
  const Class = await tokenizerClass(tokenizerConfig.tokenizer_class);
  let inner: TransformersTokenizerInstance;
  try {
    inner = new Class(json, tokenizerConfig);
  } catch (cause) {
    throw new ModelFormatError(`transformers.js cannot build this tokenizer (${(cause as Error).message})`, { file, cause });
  }
  return new TransformersTokenizer(inner, json, tokenizerConfig);
}
