import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { ContextLengthError, type Tokenizer } from '@steerlm/core';
import { parseModelConfig } from '../io/hf-config';
import { DecoderModel } from './decoder-model';
import { LocalLanguageModel } from './local-language-model';

/** A tokenizer for tests: ids 0..255 are Latin-1 characters. */
function latin1Tokenizer(): Tokenizer {
  return {
    specificationVersion: 'v1',
    vocabSize: 256,
    specialTokens: {},
    encode: (text) => [...text].map((char) => char.charCodeAt(0) & 255),
    decode: (ids) => String.fromCharCode(...ids),
    tokenToId: () => undefined,
  };
}

describe('LocalLanguageModel stop strings', () => {
  it('ignores an empty stop string instead of stopping after one token with no text', async () => {
    await tf.setBackend('cpu');
    const config = parseModelConfig({ architectures: ['GPT2LMHeadModel'], vocab_size: 256, n_embd: 16, n_layer: 1, n_head: 2, n_positions: 64 });
    const lm = new LocalLanguageModel(DecoderModel.create(config, { seed: 3 }), latin1Tokenizer());
    const plain = await lm.generate('hello', { maxTokens: 8, temperature: 0, stop: [] });
    expect(plain.usage.completionTokens).toBe(8);
    expect(plain.text).toHaveLength(8);
    const withEmpty = await lm.generate('hello', { maxTokens: 8, temperature: 0, stop: [''] });
    expect(withEmpty).toMatchObject({ text: plain.text, finishReason: 'length', usage: { completionTokens: 8 } });
    let streamed = '';
    for await (const piece of lm.stream('hello', { maxTokens: 8, temperature: 0, stop: [''] })) streamed += piece;
    expect(streamed).toBe(plain.text);
  });
});

describe('LocalLanguageModel stream result', () => {
  it("returns generate()'s finish reason and token usage when the stream ends (length, stop string, EOS)", async () => {
    await tf.setBackend('cpu');
    const config = parseModelConfig({ architectures: ['GPT2LMHeadModel'], vocab_size: 256, n_embd: 16, n_layer: 1, n_head: 2, n_positions: 64 });
    const greedy = { maxTokens: 10, temperature: 0 };
    const plain = await new LocalLanguageModel(DecoderModel.create(config, { seed: 3 }), latin1Tokenizer()).generate('hello', { ...greedy, stop: [] });
    // A character of the greedy text that first occurs after two others, as a stop string and then as the EOS token.
    const at = [...plain.text].findIndex((char, index) => index >= 2 && plain.text.indexOf(char) === index);
    expect(at).toBeGreaterThan(1);
    const stop = plain.text[at]!;
    const withEos = { ...latin1Tokenizer(), eosTokenId: stop.charCodeAt(0) };
    const cases = [
      { tokenizer: latin1Tokenizer(), options: { ...greedy, stop: [] } },
      { tokenizer: latin1Tokenizer(), options: { ...greedy, stop: [stop] } },
      { tokenizer: withEos, options: { ...greedy, stop: [] } },
    ];
    const reasons: string[] = [];
    for (const { tokenizer, options } of cases) {
      const lm = new LocalLanguageModel(DecoderModel.create(config, { seed: 3 }), tokenizer);
      const expected = await lm.generate('hello', options);
      const iterator = lm.stream('hello', options);
      let text = '';
      for (let next = await iterator.next(); ; next = await iterator.next()) {
        if (next.done) {
          expect(next.value).toEqual({ finishReason: expected.finishReason, usage: expected.usage });
          break;
        }
        text += next.value;
      }
      expect(text).toBe(expected.text);
      reasons.push(`${expected.finishReason} ${expected.usage.completionTokens}`);
    }
    // The stop string ends at its token (which is counted); EOS too.
    expect(reasons).toEqual(['length 10', `stop ${at + 1}`, `stop ${at + 1}`]);
  });
});

describe('LocalLanguageModel context length', () => {
  it('throws a ContextLengthError naming tokens and positions for a prompt or a scored text beyond the model', async () => {
    await tf.setBackend('cpu');
    const config = parseModelConfig({ architectures: ['GPT2LMHeadModel'], vocab_size: 256, n_embd: 16, n_layer: 1, n_head: 2, n_positions: 64 });
    const lm = new LocalLanguageModel(DecoderModel.create(config, { seed: 3 }), latin1Tokenizer());
    const generated = await lm.generate('x'.repeat(70), { maxTokens: 4 }).catch((error: unknown) => error);
    expect(ContextLengthError.isInstance(generated)).toBe(true);
    expect(generated).toMatchObject({ tokens: 70, positions: 64 });
    const streamed = await (async () => {
      for await (const _ of lm.stream('x'.repeat(70), { maxTokens: 4 })) void _;
    })().catch((error: unknown) => error);
    expect(ContextLengthError.isInstance(streamed)).toBe(true);
    const scored = await lm.logProbability('x'.repeat(60), 'y'.repeat(10)).catch((error: unknown) => error);
    expect(ContextLengthError.isInstance(scored)).toBe(true);
    expect(scored).toMatchObject({ tokens: 69, positions: 64 });
    // Exactly the model's positions still scores.
    expect((await lm.logProbability('x'.repeat(60), 'y'.repeat(5))).tokens).toBe(5);
  });
});
