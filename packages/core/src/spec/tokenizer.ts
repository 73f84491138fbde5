/** Maps text to token ids and back. */
export interface Tokenizer {
  readonly specificationVersion: 'v1';
  readonly vocabSize: number;
  /** Special tokens (e.g. `<extra_id_1>`) and their ids. */
  readonly specialTokens: Readonly<Record<string, number>>;
  readonly eosTokenId?: number;
  /** Returns the token ids of `text` (special tokens in the text map to their single ids). */
  encode(text: string): number[];
  /** Returns the text of `ids`. */
  decode(ids: readonly number[]): string;
  /** Returns the id of a token string, or undefined. */
  tokenToId(token: string): number | undefined;
}
