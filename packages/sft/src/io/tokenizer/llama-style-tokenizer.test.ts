import { describe, expect, it } from 'vitest';
import { ensureSpecialTokensInJson } from './ensure-special-tokens';
import type { TokenizerJson } from './tokenizer-json';
import { llamaStyleTokenizerFiles } from './testing/llama-style-tokenizer';
import { tokenizerFromJson } from './transformers-tokenizer';

/** The test tokenizer in the shape the tests below take it. */
function llamaStyleTokenizer(): { json: TokenizerJson; config: Record<string, unknown> } {
  const { tokenizerJson, tokenizerConfig } = llamaStyleTokenizerFiles();
  return { json: tokenizerJson, config: tokenizerConfig };
}

describe('a SentencePiece-style (Llama 2) tokenizer.json', () => {
  it('encodes with byte fallback, adds BOS on request and decodes back', async () => {
    const { json, config } = llamaStyleTokenizer();
    const tokenizer = await tokenizerFromJson(json, config);
    expect([tokenizer.bosTokenId, tokenizer.eosTokenId]).toEqual([1, 2]);
    const hello = tokenizer.encode('hello world');
    expect(hello[0]).toBe(tokenizer.tokenToId('▁hello'));
    expect(tokenizer.encode('hello', { addSpecialTokens: true })[0]).toBe(1);
    for (const text of ['hello world', 'héllo 😀 wörld', '日本']) expect(tokenizer.decode(tokenizer.encode(text))).toBe(text);
  });

  it('gets the SteerLM tokens as single special tokens after ensureSpecialTokens', async () => {
    const { json, config } = llamaStyleTokenizer();
    const size = Object.keys(json.model.vocab as Record<string, number>).length;
    const result = ensureSpecialTokensInJson(json);
    expect(result.added).toHaveLength(3);
    expect(result.embeddingRowsToAdd).toBe(3);
    expect(result.ids['<extra_id_1>']).toBe(size + 1);
    const tokenizer = await tokenizerFromJson(result.tokenizerJson, config);
    const text = '<extra_id_1>User\nhello<extra_id_1>Assistant\n<extra_id_2>quality:4\n';
    const ids = tokenizer.encode(text);
    expect(ids.filter((id) => id === size + 1)).toHaveLength(2);
    expect(ids).toContain(size + 2);
    expect(tokenizer.decode(ids, { skipSpecialTokens: true })).toContain('hello');
    expect(tokenizer.specialTokens['<extra_id_0>']).toBe(size);
  });
});
