import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { concatenateFeaturizers } from './concatenated';
import { createTextStatisticsFeaturizer } from './text-statistics';
import { createUseLiteFeaturizer, USE_LITE_DIMENSION, useLiteEnginesOf, type UseLiteFeaturizer } from './use-lite';
import { createUseLiteOnnxEncoder, loadOnnxRuntime, packUseLiteBatch } from './use-lite-onnx-encoder';
import { loadUseLiteTokenizer, useLiteTokenIds, type UseLiteSentencePiece } from './use-lite-tokens';
import { readUseLiteFiles, type UseLiteFiles } from './use-lite-weights';

// The onnxruntime engine against the model as shipped (tfjs), on the same local files (no network).

const LONG_PROSE = Array.from(
  { length: 60 },
  (_, index) => `Sentence ${index} explains how bread rises when yeast ferments the sugars in the dough, and why it needs time.`,
).join(' ');
const TEXTS = [
  'How do I bake bread at home?',
  '',
  'Short.',
  'Ünïcødé — 日本語のテキスト ①ﬁ “quotes” ¨ and emoji 🍞🥖 with a combining é.',
  LONG_PROSE,
  'Line one.\n\nLine two,\twith a tab.\n- a list item\n- another one',
  'x',
  LONG_PROSE.slice(0, 700),
];

let tfjs: UseLiteFeaturizer;
let onnx: UseLiteFeaturizer;
beforeAll(() => {
  tfjs = createUseLiteFeaturizer({ engine: 'tfjs' });
  onnx = createUseLiteFeaturizer({ engine: 'onnxruntime', batchSize: 3 });
});
afterAll(() => {
  tfjs.dispose();
  onnx.dispose();
});

function maxAbsoluteDifference(left: ArrayLike<number>, right: ArrayLike<number>): number {
  expect(left.length).toBe(right.length);
  let largest = 0;
  for (let index = 0; index < left.length; index += 1) largest = Math.max(largest, Math.abs(left[index]! - right[index]!));
  return largest;
}

describe('USE-lite on onnxruntime', () => {
  it('embeds as the tfjs model does within 1e-5: empty, unicode, long (clipped at 128 tokens), mixed lengths in batches', async () => {
    expect(await onnx.resolveEngine()).toBe('onnxruntime');
    expect(await tfjs.resolveEngine()).toBe('tfjs');
    const expected = await tfjs.embed(TEXTS);
    const actual = await onnx.embed(TEXTS);
    for (const [index, text] of TEXTS.entries()) {
      expect(actual[index]).toHaveLength(USE_LITE_DIMENSION);
      expect(maxAbsoluteDifference(actual[index]!, expected[index]!), JSON.stringify(text.slice(0, 40))).toBeLessThan(1e-5);
    }
    // The embeddings are unit vectors, not all alike.
    expect(Math.hypot(...actual[0]!)).toBeCloseTo(1, 5);
    expect(maxAbsoluteDifference(actual[0]!, actual[2]!)).toBeGreaterThan(0.05);
  });

  it('says which engine runs, also inside a concatenated featurizer', async () => {
    expect(await useLiteEnginesOf(concatenateFeaturizers([onnx, createTextStatisticsFeaturizer(), tfjs]))).toEqual(['onnxruntime', 'tfjs']);
    expect(await useLiteEnginesOf(createTextStatisticsFeaturizer())).toEqual([]);
    expect(onnx.engine).toBe('onnxruntime');
    expect(createUseLiteFeaturizer().engine).toBe('auto');
    expect(() => createUseLiteFeaturizer({ engine: 'gpu' as never })).toThrow(/unknown USE-lite engine "gpu"/);
  });

  it('gives each text the same embedding alone as in a batch of other lengths', async () => {
    const together = await onnx.embed(TEXTS);
    for (const [index, text] of TEXTS.entries()) {
      const [alone] = await onnx.embed([text]);
      expect(maxAbsoluteDifference(alone!, together[index]!)).toBeLessThan(1e-6);
    }
  });

  it('features of prompt and response match the tfjs engine', async () => {
    const inputs = [
      { context: [{ role: 'user' as const, text: 'Name a fruit.' }], response: 'An apple.' },
      { context: [], response: LONG_PROSE },
    ];
    const [expected, actual] = await Promise.all([tfjs.featurize(inputs), onnx.featurize(inputs)]);
    for (const [index] of inputs.entries()) expect(maxAbsoluteDifference(actual[index]!, expected[index]!)).toBeLessThan(1e-5);
  });
});

describe('USE-lite ONNX graph', () => {
  let files: UseLiteFiles;
  let tokenizer: UseLiteSentencePiece;
  beforeAll(async () => {
    files = await readUseLiteFiles();
    tokenizer = await loadUseLiteTokenizer(files.vocabulary);
  });

  it('differs from the model when one weight is swapped (the parity above can fail)', async () => {
    const ort = (await loadOnnxRuntime())!;
    const name = (layer: number) =>
      `module_apply_default/Encoder_en/KonaTransformer/Encode/TransformerStack/Layer_${layer}/TransformerLayer/FFN/conv1/Tensordot/Reshape_1`;
    const swapped = new Map(files.weights);
    swapped.set(name(0), files.weights.get(name(1))!);
    swapped.set(name(1), files.weights.get(name(0))!);
    const tokens = TEXTS.slice(2, 5).map((text) => useLiteTokenIds(tokenizer, text));
    const [right, wrong] = await Promise.all([
      createUseLiteOnnxEncoder(ort, files, { threads: 1 }),
      createUseLiteOnnxEncoder(ort, { ...files, weights: swapped }, { threads: 1 }),
    ]);
    const [good, bad] = await Promise.all([right.embedTokens(tokens), wrong.embedTokens(tokens)]);
    const expected = await tfjs.embed(TEXTS.slice(2, 5));
    for (const [index] of tokens.entries()) {
      expect(maxAbsoluteDifference(good[index]!, expected[index]!)).toBeLessThan(1e-5);
      expect(maxAbsoluteDifference(bad[index]!, expected[index]!)).toBeGreaterThan(1e-2);
    }
    await Promise.all([right.dispose(), wrong.dispose()]);
  });

  it('embeds token lists without any token (alone or beside others) as the mean of nothing: l2-normalized tanh of the bias', async () => {
    const encoder = await createUseLiteOnnxEncoder((await loadOnnxRuntime())!, files, { threads: 1 });
    const [alone] = await encoder.embedTokens([[]]);
    const [beside, other] = await encoder.embedTokens([[], [5, 6, 7]]);
    const bias = files.weights.get('module/Encoder_en/hidden_layers/tanh_layer_0/bias')!.data;
    const hidden = Array.from(bias, Math.tanh);
    const norm = Math.hypot(...hidden);
    expect(
      maxAbsoluteDifference(
        alone!,
        hidden.map((value) => value / norm),
      ),
    ).toBeLessThan(1e-6);
    expect(maxAbsoluteDifference(beside!, alone!)).toBeLessThan(1e-6);
    expect(maxAbsoluteDifference(other!, alone!)).toBeGreaterThan(0.05);
    await encoder.dispose();
  });

  it('clips long texts to the first 128 tokens exactly as tokenizing the whole text', () => {
    const spaced = (separator: string) => Array.from({ length: 400 }, (_, index) => `word${index}`).join(separator);
    const texts = [
      LONG_PROSE,
      spaced('\u00a0'), // NBSP: NFKC turns it into a space, the cut must be made after normalizing
      spaced('\u3000'), // ideographic space, likewise
      spaced('\n'), // no space at all: the whole text is tokenized
      'a'.repeat(3000),
      `${'ﬁ ①'.repeat(400)} done`,
      `${'e\u0301 '.repeat(500)}`, // combining marks before spaces
      '🍞 '.repeat(700),
      'Short text with a few words.',
    ];
    for (const text of texts) {
      const clipped = useLiteTokenIds(tokenizer, text);
      expect(clipped, JSON.stringify(text.slice(0, 20))).toEqual(tokenizer.encode(text).slice(0, 128));
    }
    expect(useLiteTokenIds(tokenizer, LONG_PROSE)).toHaveLength(128);
  });

  it('clips exactly wherever the first cut falls (the 128th token at, before and after it)', () => {
    const texts = [
      LONG_PROSE,
      'ﬁne ①, '.repeat(300),
      Array.from({ length: 300 }, (_, index) => `w${index}`).join('\u00a0'),
      'cafe\u0301 déjà vu, '.repeat(200),
    ];
    for (const text of texts) {
      const expected = tokenizer.encode(text).slice(0, 128);
      // The smallest first cut whose prefix already holds 128 tokens (the count grows with the cut).
      let low = 1;
      let high = text.length;
      while (low < high) {
        const middle = Math.floor((low + high) / 2);
        const normalized = text.normalize('NFKC');
        const space = normalized.indexOf(' ', middle);
        if (space >= 0 && tokenizer.encode(normalized.slice(0, space)).length < 128) low = middle + 1;
        else high = middle;
      }
      for (const cut of [
        ...Array.from({ length: 41 }, (_, step) => low - 20 + step),
        ...Array.from({ length: 21 }, (_, step) => Math.floor(low / 2) - 10 + step),
      ]) {
        expect(useLiteTokenIds(tokenizer, text, cut), `cut ${cut} of ${JSON.stringify(text.slice(0, 12))}`).toEqual(expected);
      }
    }
  });

  it('packs a batch: real tokens in rows, padding slots pointing at the zero row and masked', () => {
    const batch = packUseLiteBatch([[5, 6, 7], [], [9], Array.from({ length: 200 }, (_, index) => index)]);
    expect(batch.texts).toBe(4);
    expect(batch.longest).toBe(128);
    const total = 3 + 1 + 128;
    expect(batch.tokenIds).toHaveLength(total);
    expect([...batch.tokenIds.slice(0, 4)]).toEqual([5, 6, 7, 9]);
    expect([...batch.positions.slice(0, 6)]).toEqual([0, 1, 2, 0, 0, 1]);
    expect([...batch.packedSlots.slice(0, 5)]).toEqual([0, 1, 2, 256, 384]);
    expect([...batch.paddedRows.slice(0, 4)]).toEqual([0, 1, 2, 0]);
    expect([...batch.pooledRows.slice(0, 4)]).toEqual([0, 1, 2, total]);
    expect(batch.pooledRows[128]).toBe(total); // the empty text: all padding
    expect(batch.paddedRows[256]).toBe(3);
    expect(batch.pooledRows[256]).toBe(3);
    expect([...batch.attentionBias.slice(0, 4)]).toEqual([0, 0, 0, -1e9].map(Math.fround));
    expect([...batch.tokenCounts]).toEqual([3, 1, 1, 128]);
  });
});
