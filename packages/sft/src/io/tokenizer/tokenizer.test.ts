import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ModelFormatError, steerlmTemplate } from '@steerlm/core';
import { byteLevelBpeTokenizerJson, writeByteLevelBpeTokenizer } from '../bpe-trainer/byte-level-bpe-files';
import { trainByteLevelBpe } from '../bpe-trainer/train-byte-level-bpe';
import { ensureSpecialTokens } from './ensure-special-tokens';
import type { TokenizerJson } from './tokenizer-json';
import { loadTokenizer } from './load-tokenizer';
import { tokenizerFromJson } from './transformers-tokenizer';

const SAMPLES = [
  'The quick brown fox jumps over the lazy dog.',
  "It's 2024: naïve café owners' résumés — ünïcödé!",
  '日本語のテキストと中文文本，还有한국어.',
  'Emoji: 😀 👍🏽 👩‍👩‍👧 🇫🇷 and a flag.',
  'Combining: e\u0301 a\u0308 n\u0303 (decomposed), Z\u0351\u0362a\u0364lgo.',
  'Tabs\tand\nnewlines\r\n   and    spaces  ',
  '',
];

function corpus(): string[] {
  const texts: string[] = [];
  for (let round = 0; round < 60; round++) {
    for (const sample of SAMPLES) texts.push(`${sample} ${round % 7}`);
    texts.push(`<extra_id_0>System\nA chat.\n<extra_id_1>User\nhello number ${round}\n<extra_id_1>Assistant\n<extra_id_2>quality:4,toxicity:0\n`);
  }
  return texts;
}

let root: string;
let trainedFolder: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'steerlm-tokenizer-'));
  trainedFolder = join(root, 'trained');
  await writeByteLevelBpeTokenizer(trainedFolder, await trainByteLevelBpe(corpus(), { vocabSize: 450 }));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('a trained byte-level BPE tokenizer loaded with transformers.js', () => {
  it('round-trips unicode text exactly', async () => {
    const tokenizer = await loadTokenizer(trainedFolder);
    expect(tokenizer.specificationVersion).toBe('v1');
    expect(tokenizer.vocabSize).toBe(450);
    for (const text of [...SAMPLES, 'unseen wörds 🦜 with 漢字 and ǅ', ' leading space', 'x'.repeat(300)]) {
      const ids = tokenizer.encode(text);
      expect(ids.every((id) => Number.isInteger(id) && id >= 0 && id < tokenizer.vocabSize)).toBe(true);
      expect(tokenizer.decode(ids)).toBe(text);
    }
    expect(tokenizer.encode('The quick brown fox').length).toBeLessThan(8);
  });

  it('encodes the SteerLM special tokens as single ids and names the EOS', async () => {
    const tokenizer = await loadTokenizer(join(trainedFolder, 'tokenizer.json'));
    const [system, turn, label] = steerlmTemplate.specialTokens.map((token) => tokenizer.tokenToId(token)!);
    expect([system, turn, label]).toEqual([1, 2, 3]);
    expect(tokenizer.specialTokens).toEqual({ '<|endoftext|>': 0, '<extra_id_0>': 1, '<extra_id_1>': 2, '<extra_id_2>': 3 });
    expect(tokenizer.eosTokenId).toBe(0);
    const text = '<extra_id_1>User\nhi<extra_id_1>Assistant\n<extra_id_2>quality:4\n';
    const ids = tokenizer.encode(text);
    expect(ids[0]).toBe(turn);
    expect(ids.filter((id) => id === turn)).toHaveLength(2);
    expect(ids.filter((id) => id === label)).toHaveLength(1);
    expect(tokenizer.decode(ids)).toBe(text);
    expect(tokenizer.decode(ids, { skipSpecialTokens: true })).toBe('User\nhiAssistant\nquality:4\n');
    expect(tokenizer.decode([])).toBe('');
    expect(tokenizer.idToToken(turn)).toBe('<extra_id_1>');
  });
});

describe('ensureSpecialTokens', () => {
  it('adds the missing SteerLM tokens to a tokenizer folder and reports the embedding growth', async () => {
    const folder = join(root, 'plain');
    const trained = await trainByteLevelBpe(corpus(), { vocabSize: 400, specialTokens: ['<|endoftext|>'] });
    expect(trained.vocab.size).toBe(400);
    await writeByteLevelBpeTokenizer(folder, trained);
    const before = await loadTokenizer(folder);
    expect(before.encode('<extra_id_1>').length).toBeGreaterThan(1);

    const result = await ensureSpecialTokens(folder);
    expect(result.added).toEqual(['<extra_id_0>', '<extra_id_1>', '<extra_id_2>']);
    expect(result.ids).toEqual({ '<extra_id_0>': 400, '<extra_id_1>': 401, '<extra_id_2>': 402 });
    expect([result.previousVocabSize, result.vocabSize, result.embeddingRowsToAdd]).toEqual([400, 403, 3]);

    const after = await loadTokenizer(folder);
    expect(after.vocabSize).toBe(403);
    const text = '<extra_id_0>System\nx\n<extra_id_1>User\nhello 😀\n<extra_id_2>quality:4\n';
    const ids = after.encode(text);
    expect(ids[0]).toBe(400);
    expect(ids).toContain(401);
    expect(ids).toContain(402);
    expect(after.decode(ids)).toBe(text);
    const config = JSON.parse(await readFile(join(folder, 'tokenizer_config.json'), 'utf8')) as {
      added_tokens_decoder: Record<string, { content: string; special: boolean }>;
    };
    expect(config.added_tokens_decoder['401']).toMatchObject({ content: '<extra_id_1>', special: true });

    const again = await ensureSpecialTokens(folder, { embeddingRows: 416 });
    expect(again.added).toEqual([]);
    expect(again.embeddingRowsToAdd).toBe(0);
  });

  it('reuses ids of tokens already in the vocabulary and leaves the input object unchanged', async () => {
    const trained = await trainByteLevelBpe(['a'], { vocabSize: 300, specialTokens: [] });
    const json = byteLevelBpeTokenizerJson(trained);
    (json.model.vocab as Record<string, number>)['<extra_id_0>'] = 256;
    const snapshot = JSON.stringify(json);
    const result = await ensureSpecialTokens(json as TokenizerJson, { embeddingRows: 300 });
    expect(JSON.stringify(json)).toBe(snapshot);
    expect(result.ids).toEqual({ '<extra_id_0>': 256, '<extra_id_1>': 257, '<extra_id_2>': 258 });
    expect(result.added).toEqual(['<extra_id_1>', '<extra_id_2>']);
    expect(result.embeddingRowsToAdd).toBe(0);
    const tokenizer = await tokenizerFromJson(result.tokenizerJson);
    expect(tokenizer.encode('a<extra_id_0>a<extra_id_2>')).toEqual([tokenizer.tokenToId('a'), 256, tokenizer.tokenToId('a'), 258]);
  });
});

describe('loadTokenizer errors', () => {
  it('reports missing folders, missing tokenizer.json and bad JSON with the file', async () => {
    await expect(loadTokenizer(join(root, 'absent'))).rejects.toSatisfy(
      (error: unknown) => ModelFormatError.isInstance(error) && /cannot read the tokenizer/.test((error as Error).message),
    );
    const empty = join(root, 'empty');
    await mkdir(empty);
    await expect(loadTokenizer(empty)).rejects.toThrow(/missing tokenizer.json/);
    await writeFile(join(empty, 'tokenizer.json'), '{"model": ');
    await expect(loadTokenizer(empty)).rejects.toThrow(/tokenizer.json is not valid JSON/);
    await writeFile(join(empty, 'tokenizer.json'), '{"added_tokens": []}');
    await expect(loadTokenizer(empty)).rejects.toSatisfy(
      (error: unknown) => ModelFormatError.isInstance(error) && (error as ModelFormatError).field === 'model',
    );
  });
});
