import { describe, expect, it } from 'vitest';
import { charTokenizer } from './char-tokenizer';

describe('charTokenizer', () => {
  it('maps special tokens to one id each and other characters to their code', () => {
    const tokenizer = charTokenizer();
    expect(tokenizer.encode('a<extra_id_1>b<|endoftext|>')).toEqual([97, 257, 98, 259]);
    expect(tokenizer.decode([97, 257, 98, 259])).toBe('a<extra_id_1>b<|endoftext|>');
    expect(tokenizer.eosTokenId).toBe(259);
    expect(tokenizer.vocabSize).toBe(260);
    expect(tokenizer.tokenToId('<extra_id_0>')).toBe(256);
    expect(tokenizer.tokenToId('a')).toBeUndefined();
  });
});
