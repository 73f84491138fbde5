import { describe, expect, it } from 'vitest';
import { ensureSpecialTokensInJson } from './ensure-special-tokens';
import type { TokenizerJson } from './tokenizer-json';
import { tokenizerFromJson } from './transformers-tokenizer';

/** A tiny SentencePiece-style (Llama 2) tokenizer.json: ▁ for spaces, byte fallback, BOS by a template. */
function llamaStyleTokenizer(): { json: TokenizerJson; config: Record<string, unknown> } {
  const pieces = ['<unk>', '<s>', '</s>', ...Array.from({ length: 256 }, (_, byte) => `<0x${byte.toString(16).toUpperCase().padStart(2, '0')}>`)];
  const merges: string[] = [];
  const add = (piece: string) => {
    if (!pieces.includes(piece)) pieces.push(piece);
  };
  for (const character of '▁abcdehilnorstuwy') add(character);
  for (const [left, right] of [
    ['▁', 'h'],
    ['e', 'l'],
    ['el', 'l'],
    ['▁h', 'ell'],
    ['▁hell', 'o'],
    ['▁', 'w'],
    ['o', 'r'],
  ]) {
    add(left! + right!);
    merges.push(`${left} ${right}`);
  }
  const vocab: Record<string, number> = {};
  pieces.forEach((piece, id) => (vocab[piece] = id));
  const special = (id: number, content: string) => ({ id, content, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true });
  return {
    json: {
      version: '1.0',
      added_tokens: [special(0, '<unk>'), special(1, '<s>'), special(2, '</s>')],
      normalizer: {
        type: 'Sequence',
        normalizers: [
          { type: 'Prepend', prepend: '▁' },
          { type: 'Replace', pattern: { String: ' ' }, content: '▁' },
        ],
      },
      pre_tokenizer: null,
      post_processor: {
        type: 'TemplateProcessing',
        single: [{ SpecialToken: { id: '<s>', type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }],
        pair: [
          { SpecialToken: { id: '<s>', type_id: 0 } },
          { Sequence: { id: 'A', type_id: 0 } },
          { SpecialToken: { id: '<s>', type_id: 1 } },
          { Sequence: { id: 'B', type_id: 1 } },
        ],
        special_tokens: { '<s>': { id: '<s>', ids: [1], tokens: ['<s>'] } },
      },
      decoder: {
        type: 'Sequence',
        decoders: [
          { type: 'Replace', pattern: { String: '▁' }, content: ' ' },
          { type: 'ByteFallback' },
          { type: 'Fuse' },
          { type: 'Strip', content: ' ', start: 1, stop: 0 },
        ],
      },
      model: {
        type: 'BPE',
        dropout: null,
        unk_token: '<unk>',
        continuing_subword_prefix: null,
        end_of_word_suffix: null,
        fuse_unk: true,
        byte_fallback: true,
        ignore_merges: false,
        vocab,
        merges,
      },
    },
    config: {
      tokenizer_class: 'LlamaTokenizerFast',
      bos_token: '<s>',
      eos_token: '</s>',
      unk_token: '<unk>',
      add_bos_token: true,
      legacy: false,
      clean_up_tokenization_spaces: false,
    },
  };
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
