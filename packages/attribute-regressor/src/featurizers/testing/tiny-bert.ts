import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * Test fixture: writes a tiny BERT-like encoder folder in Hugging Face layout (config.json,
 * tokenizer.json, tokenizer_config.json, onnx/model.onnx) built offline. The ONNX graph is a single
 * Gather of a [vocabulary × hidden] embedding table by input_ids, so its mean-pooled output is the mean
 * of the tokens' embeddings — easy to check by hand.
 */

/** Returns the protobuf varint bytes of a non-negative integer. */
function varint(value: number): number[] {
  const bytes: number[] = [];
  let rest = value;
  while (rest > 0x7f) {
    bytes.push((rest % 0x80) | 0x80);
    rest = Math.floor(rest / 0x80);
  }
  bytes.push(rest);
  return bytes;
}

/** Returns a protobuf field: varint (wire type 0) for numbers, length-delimited (2) for bytes and strings. */
function field(number: number, value: number | string | Uint8Array | number[]): number[] {
  if (typeof value === 'number') return [...varint(number * 8), ...varint(value)];
  const bytes = typeof value === 'string' ? [...new TextEncoder().encode(value)] : [...value];
  return [...varint(number * 8 + 2), ...varint(bytes.length), ...bytes];
}

function valueInfo(name: string, elementType: number, dimensions: Array<number | string>): number[] {
  const shape = dimensions.flatMap((dimension) => field(1, typeof dimension === 'number' ? field(1, dimension) : field(2, dimension)));
  return field(1, name).concat(field(2, field(1, [...field(1, elementType), ...field(2, shape)])));
}

/** Returns the bytes of an ONNX model whose last_hidden_state is Gather(embeddings, input_ids). */
export function tinyEncoderOnnx(embeddings: Float32Array, vocabularySize: number, hiddenSize: number): Uint8Array {
  const float = 1;
  const int64 = 7;
  const raw = new Uint8Array(embeddings.buffer, embeddings.byteOffset, embeddings.byteLength);
  const initializer = [...field(1, vocabularySize), ...field(1, hiddenSize), ...field(2, float), ...field(8, 'embeddings'), ...field(9, raw)];
  const node = [...field(1, 'embeddings'), ...field(1, 'input_ids'), ...field(2, 'last_hidden_state'), ...field(3, 'lookup'), ...field(4, 'Gather')];
  const graph = [
    ...field(1, node),
    ...field(2, 'tiny-bert'),
    ...field(5, initializer),
    ...field(11, valueInfo('input_ids', int64, ['batch', 'sequence'])),
    ...field(11, valueInfo('attention_mask', int64, ['batch', 'sequence'])),
    ...field(12, valueInfo('last_hidden_state', float, ['batch', 'sequence', hiddenSize])),
  ];
  return Uint8Array.from([...field(1, 8), ...field(2, 'steerlm-test'), ...field(7, graph), ...field(8, [...field(1, ''), ...field(2, 13)])]);
}

/** The vocabulary of the tiny encoder: special tokens first, then lowercase words. */
export const TINY_VOCABULARY = Object.freeze(['[PAD]', '[UNK]', '[CLS]', '[SEP]', 'hello', 'world', 'bread', 'bake', 'how', 'do', 'i', '?', '.']);

/** Writes the tiny encoder folder and returns the embedding table it uses (vocabulary × hidden). */
export async function writeTinyBert(folder: string, hiddenSize = 4): Promise<Float32Array> {
  const embeddings = new Float32Array(TINY_VOCABULARY.length * hiddenSize);
  for (let index = 0; index < embeddings.length; index += 1) embeddings[index] = Math.sin(index + 1);
  await mkdir(join(folder, 'onnx'), { recursive: true });
  await writeFile(join(folder, 'onnx', 'model.onnx'), tinyEncoderOnnx(embeddings, TINY_VOCABULARY.length, hiddenSize));
  await writeFile(
    join(folder, 'config.json'),
    JSON.stringify({ model_type: 'bert', architectures: ['BertModel'], hidden_size: hiddenSize, vocab_size: TINY_VOCABULARY.length }),
  );
  await writeFile(
    join(folder, 'tokenizer_config.json'),
    JSON.stringify({
      tokenizer_class: 'BertTokenizer',
      do_lower_case: true,
      model_max_length: 512,
      cls_token: '[CLS]',
      sep_token: '[SEP]',
      pad_token: '[PAD]',
      unk_token: '[UNK]',
    }),
  );
  const special = (id: number, content: string) => ({ id, content, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true });
  await writeFile(
    join(folder, 'tokenizer.json'),
    JSON.stringify({
      version: '1.0',
      truncation: null,
      padding: null,
      added_tokens: [special(0, '[PAD]'), special(1, '[UNK]'), special(2, '[CLS]'), special(3, '[SEP]')],
      normalizer: { type: 'BertNormalizer', clean_text: true, handle_chinese_chars: true, strip_accents: null, lowercase: true },
      pre_tokenizer: { type: 'BertPreTokenizer' },
      post_processor: {
        type: 'TemplateProcessing',
        single: [{ SpecialToken: { id: '[CLS]', type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }, { SpecialToken: { id: '[SEP]', type_id: 0 } }],
        pair: [
          { SpecialToken: { id: '[CLS]', type_id: 0 } },
          { Sequence: { id: 'A', type_id: 0 } },
          { SpecialToken: { id: '[SEP]', type_id: 0 } },
          { Sequence: { id: 'B', type_id: 1 } },
          { SpecialToken: { id: '[SEP]', type_id: 1 } },
        ],
        special_tokens: { '[CLS]': { id: '[CLS]', ids: [2], tokens: ['[CLS]'] }, '[SEP]': { id: '[SEP]', ids: [3], tokens: ['[SEP]'] } },
      },
      decoder: { type: 'WordPiece', prefix: '##', cleanup: true },
      model: {
        type: 'WordPiece',
        unk_token: '[UNK]',
        continuing_subword_prefix: '##',
        max_input_chars_per_word: 100,
        vocab: Object.fromEntries(TINY_VOCABULARY.map((token, index) => [token, index])),
      },
    }),
  );
  return embeddings;
}
