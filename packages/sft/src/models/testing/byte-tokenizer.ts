import type { Tokenizer } from '@steerlm/core';

/** A byte-level tokenizer for tests: ids 0..255 are the UTF-8 bytes of the text. */
export function byteTokenizer(): Tokenizer {
  return {
    specificationVersion: 'v1',
    vocabSize: 256,
    specialTokens: {},
    encode: (text) => [...new TextEncoder().encode(text)],
    decode: (ids) => new TextDecoder().decode(Uint8Array.from(ids)),
    tokenToId: () => undefined,
  };
}
