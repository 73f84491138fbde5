import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Tokenizer } from '@steerlm/core';
import { parseModelConfig } from '../io/hf-config';
import { DecoderModel } from './decoder-model';
import { generateTokens } from './generate-tokens';
import { LocalLanguageModel } from './local-language-model';

const model = () =>
  DecoderModel.create(
    parseModelConfig({
      architectures: ['LlamaForCausalLM'],
      vocab_size: 40,
      hidden_size: 16,
      intermediate_size: 24,
      num_hidden_layers: 1,
      num_attention_heads: 2,
      max_position_embeddings: 16,
    }),
    { seed: 4 },
  );

/** Each character is one id (code - 64 in 0..39); no EOS, so only the length ends a row. */
const letters: Tokenizer = {
  specificationVersion: 'v1',
  vocabSize: 40,
  specialTokens: {},
  encode: (text) => [...text].map((character) => (character.charCodeAt(0) - 64) % 40),
  decode: (ids) => ids.map((id) => String.fromCharCode(64 + id)).join(''),
  tokenToId: () => undefined,
};

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('generation at the end of the positions', () => {
  it("ends each row at the model's last position instead of failing, batched with a shorter row", async () => {
    const decoder = model();
    const lengths = [0, 0];
    for await (const step of generateTokens(decoder, [Array.from({ length: 10 }, (_, i) => i + 1), [1, 2, 3]], { maxTokens: 100, temperature: 0 })) {
      step.tokens.forEach((token, row) => {
        if (token !== undefined) lengths[row]!++;
      });
    }
    // 16 positions: a 10-token prompt feeds 6 new tokens (positions 10..15) and samples a 7th; 3 tokens → 14.
    expect(lengths).toEqual([7, 14]);
    decoder.dispose();
  });

  it('LocalLanguageModel reports finish_reason "length" when the positions run out', async () => {
    const decoder = model();
    const local = new LocalLanguageModel(decoder, letters);
    const result = await local.generate('ABCDEFGHIJ', { maxTokens: 512, temperature: 0, stop: [] });
    expect(result.finishReason).toBe('length');
    expect(result.usage.completionTokens).toBe(7);
    let streamed = '';
    for await (const piece of local.stream('ABCDEFGHIJ', { maxTokens: 512, temperature: 0, stop: [] })) streamed += piece;
    expect(streamed).toBe(result.text);
    // A prompt longer than the positions is the caller's error (a 400 in the server), not a crash.
    await expect(local.generate('A'.repeat(17))).rejects.toThrow(/the prompt is 17 tokens, more than the model's 16 positions/);
    await expect(local.stream('A'.repeat(17))[Symbol.asyncIterator]().next()).rejects.toThrow(/more than the model's 16 positions/);
    decoder.dispose();
  });
});
