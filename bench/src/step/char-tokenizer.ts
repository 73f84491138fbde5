/** A character-level tokenizer for the trainer benchmark: no files to load, ids below the tiny shape's 512. */
import type { Tokenizer } from '@steerlm/core';

const SPECIAL = ['<extra_id_0>', '<extra_id_1>', '<extra_id_2>', '<|endoftext|>'];

/** Returns a tokenizer whose special tokens are ids 256.. and every other character its char code (mod 256). */
export function charTokenizer(): Tokenizer {
  const pattern = new RegExp(`(${SPECIAL.map((token) => token.replace(/[|]/g, '\\|')).join('|')})`);
  return {
    specificationVersion: 'v1',
    vocabSize: 256 + SPECIAL.length,
    specialTokens: Object.fromEntries(SPECIAL.map((token, index) => [token, 256 + index])),
    eosTokenId: 256 + 3,
    encode: (text) =>
      text
        .split(pattern)
        .filter((part) => part !== '')
        .flatMap((part) => (SPECIAL.includes(part) ? [256 + SPECIAL.indexOf(part)] : [...part].map((char) => char.charCodeAt(0) & 255))),
    decode: (ids) => ids.map((id) => (id >= 256 ? SPECIAL[id - 256] : String.fromCharCode(id))).join(''),
    tokenToId: (token) => (SPECIAL.includes(token) ? 256 + SPECIAL.indexOf(token) : undefined),
  };
}
