import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseModelConfig } from '../io/hf-config';
import { tokenizerFromJson } from '../io/tokenizer';
import { DecoderModel } from './decoder-model';
import { LocalLanguageModel } from './local-language-model';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('LocalLanguageModel.logProbability with a SentencePiece-style tokenizer (issue 13, finding 5)', () => {
  it('scores the continuation tokens of the whole text, as training and generation see them', async () => {
    const golden = JSON.parse(readFileSync(new URL('../trainer/fixtures/nemo-masks-sentencepiece.json', import.meta.url), 'utf8')) as {
      tokenizerJson: unknown;
      tokenizerConfig: Record<string, unknown>;
    };
    const tokenizer = await tokenizerFromJson(golden.tokenizerJson, golden.tokenizerConfig);
    const config = parseModelConfig({
      architectures: ['GPT2LMHeadModel'],
      vocab_size: tokenizer.vocabSize,
      n_embd: 16,
      n_layer: 1,
      n_head: 2,
      n_positions: 128,
    });
    const lm = new LocalLanguageModel(DecoderModel.create(config, { seed: 2 }), tokenizer);
    const prompt = '<extra_id_1>Assistant\n<extra_id_2>quality:4\n';
    const whole = tokenizer.encode(`${prompt}hello\n<extra_id_1>`);
    const promptLength = tokenizer.encode(prompt).length;
    // Alone, the continuation would start with ▁hello; inside the text it is hello (no ▁).
    expect(tokenizer.idToToken(tokenizer.encode('hello\n<extra_id_1>')[0]!)).toBe('▁hello');
    expect(whole.slice(promptLength).map((id) => tokenizer.idToToken(id))).toEqual(['hello', '<0x0A>', '<extra_id_1>']);
    const scored = await lm.logProbability(prompt, 'hello\n<extra_id_1>');
    expect(scored.tokens).toBe(3);
    const expected = tf.tidy(() => {
      const logits = lm.model.logits({ ids: tf.tensor2d([whole.slice(0, -1)], [1, whole.length - 1], 'int32') });
      const logSoftmax = tf.logSoftmax(logits).arraySync() as number[][];
      return whole.slice(promptLength).reduce((sum, id, index) => sum + logSoftmax[promptLength - 1 + index]![id]!, 0);
    });
    expect(scored.logProbability).toBeCloseTo(expected, 4);
  });
});
