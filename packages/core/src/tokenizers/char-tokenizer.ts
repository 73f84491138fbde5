import type { Tokenizer } from '../spec';

/** The special tokens of {@link charTokenizer}, ids 256, 257, … in this order; the last is its EOS. */
export const CHAR_TOKENIZER_SPECIAL_TOKENS = ['<extra_id_0>', '<extra_id_1>', '<extra_id_2>', '<|endoftext|>'] as const;

/**
 * Returns a transparent character-level tokenizer needing no files: each special token of the
 * SteerLM template is one id (256 + index), every other character is its char code modulo 256, so
 * token spans map one to one onto (Latin-1) text. For tests, demos and benchmarks of tiny models
 * (vocabulary 260); not for real text beyond Latin-1.
 */
export function charTokenizer(): Tokenizer {
  const special: readonly string[] = CHAR_TOKENIZER_SPECIAL_TOKENS;
  const pattern = new RegExp(`(${special.map((token) => token.replace(/[|]/g, '\\|')).join('|')})`);
  return {
    specificationVersion: 'v1',
    vocabSize: 256 + special.length,
    specialTokens: Object.fromEntries(special.map((token, index) => [token, 256 + index])),
    eosTokenId: 256 + special.length - 1,
    encode: (text) =>
      text
        .split(pattern)
        .filter((part) => part !== '')
        .flatMap((part) => (special.includes(part) ? [256 + special.indexOf(part)] : [...part].map((char) => char.charCodeAt(0) & 255))),
    decode: (ids) => ids.map((id) => (id >= 256 ? special[id - 256] : String.fromCharCode(id))).join(''),
    tokenToId: (token) => (special.includes(token) ? 256 + special.indexOf(token) : undefined),
  };
}
