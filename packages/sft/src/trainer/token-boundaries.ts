import type { Tokenizer } from '@steerlm/core';

/**
 * Token positions of character offsets in a text tokenized whole: `ids` is `tokenizer.encode(text)`,
 * and `at(c)` is the index of the first token that does not lie entirely before character c — the
 * length of the common prefix of `encode(text.slice(0, c))` and `ids`. At a special token or a
 * pre-tokenizer boundary that is exactly the tokens of the text before c; a token that straddles c
 * counts as after it. Tokenizers need no offset mapping, and the ids are those inference sees (a
 * SentencePiece tokenizer gives `h|ell|o` inside the text, not the `▁hello` of a piece encoded alone).
 */
export class TokenBoundaries {
  readonly ids: number[];
  readonly #cache = new Map<number, number>();

  constructor(
    private readonly tokenizer: Tokenizer,
    readonly text: string,
  ) {
    this.ids = tokenizer.encode(text);
  }

  /** Returns how many tokens lie entirely before character `offset` (0 ≤ offset ≤ text.length). */
  at(offset: number): number {
    if (offset <= 0) return 0;
    if (offset >= this.text.length) return this.ids.length;
    const cached = this.#cache.get(offset);
    if (cached !== undefined) return cached;
    const prefix = this.tokenizer.encode(this.text.slice(0, offset));
    let index = 0;
    const limit = Math.min(prefix.length, this.ids.length);
    while (index < limit && prefix[index] === this.ids[index]) index++;
    this.#cache.set(offset, index);
    return index;
  }
}
