import type { TokenizerJson } from '../tokenizer-json';

const BASE_MERGES: readonly (readonly [string, string])[] = [
  ['▁', 'h'],
  ['e', 'l'],
  ['el', 'l'],
  ['▁h', 'ell'],
  ['▁hell', 'o'],
  ['▁', 'w'],
  ['o', 'r'],
];

const special = (id: number, content: string) => ({ id, content, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true });

/**
 * Returns a tiny SentencePiece-style (Llama 2) tokenizer.json and tokenizer_config.json: ▁ for spaces, byte
 * fallback, `<unk>` `<s>` `</s>`, a few merges around "hello world" (then `extraMerges`), and BOS added
 * by a template post-processor when `bosTemplate` (default true).
 */
export function llamaStyleTokenizerFiles(options: { extraMerges?: readonly (readonly [string, string])[]; bosTemplate?: boolean } = {}): {
  tokenizerJson: TokenizerJson;
  tokenizerConfig: Record<string, unknown>;
} {
  const pieces = ['<unk>', '<s>', '</s>', ...Array.from({ length: 256 }, (_, byte) => `<0x${byte.toString(16).toUpperCase().padStart(2, '0')}>`)];
  const merges: string[] = [];
  const add = (piece: string) => {
    if (!pieces.includes(piece)) pieces.push(piece);
  };
  for (const character of '▁abcdehilnorstuwy') add(character);
  for (const [left, right] of [...BASE_MERGES, ...(options.extraMerges ?? [])]) {
    add(left + right);
    merges.push(`${left} ${right}`);
  }
  const vocab: Record<string, number> = {};
  pieces.forEach((piece, id) => (vocab[piece] = id));
  const bosTemplate = {
    type: 'TemplateProcessing',
    single: [{ SpecialToken: { id: '<s>', type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }],
    pair: [
      { SpecialToken: { id: '<s>', type_id: 0 } },
      { Sequence: { id: 'A', type_id: 0 } },
      { SpecialToken: { id: '<s>', type_id: 1 } },
      { Sequence: { id: 'B', type_id: 1 } },
    ],
    special_tokens: { '<s>': { id: '<s>', ids: [1], tokens: ['<s>'] } },
  };
  const tokenizerJson = {
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
    post_processor: (options.bosTemplate ?? true) ? bosTemplate : null,
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
  } as TokenizerJson;
  const tokenizerConfig = {
    tokenizer_class: 'LlamaTokenizerFast',
    bos_token: '<s>',
    eos_token: '</s>',
    unk_token: '<unk>',
    add_bos_token: true,
    legacy: false,
    clean_up_tokenization_spaces: false,
  };
  return { tokenizerJson, tokenizerConfig };
}
