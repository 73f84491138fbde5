import type { Tokenizer } from '@steerlm/core';

const SPECIAL = ['<extra_id_0>', '<extra_id_1>', '<extra_id_2>', '<|endoftext|>'];

/**
 * A transparent tokenizer for tests: each special token is one id (256 + index), every other
 * character is its char code (below 256), so token spans map one to one onto text.
 */
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
