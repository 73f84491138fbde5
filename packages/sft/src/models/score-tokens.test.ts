import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseModelConfig } from '../io/hf-config';
import { DecoderModel } from './decoder-model';
import { LocalLanguageModel } from './local-language-model';
import { tokenOffsets } from './score-tokens';
import { byteTokenizer } from './testing/byte-tokenizer';

let lm: LocalLanguageModel;
beforeAll(async () => {
  await tf.setBackend('cpu');
  const config = parseModelConfig({ architectures: ['GPT2LMHeadModel'], vocab_size: 256, n_embd: 16, n_layer: 1, n_head: 2, n_positions: 128 });
  lm = new LocalLanguageModel(DecoderModel.create(config, { seed: 3 }), byteTokenizer());
});
afterAll(() => lm.model.dispose());

/** Returns the sum over the tokens that reach past `promptLength`, as an OpenAI client sums an echoed completion. */
function sumPast(tokens: Awaited<ReturnType<LocalLanguageModel['scoreTokens']>>, promptLength: number, textLength: number): number {
  return tokens.reduce((sum, token, index) => {
    const end = index + 1 < tokens.length ? tokens[index + 1]!.offset : textLength;
    return end > promptLength ? sum + token.logProbability! : sum;
  }, 0);
}

describe('LocalLanguageModel.scoreTokens', () => {
  it('gives each token log P(token | before) from one forward pass, and the top alternatives best first', async () => {
    const text = 'abc\nxyz';
    const scored = await lm.scoreTokens(text, { topLogprobs: 3 });
    expect(scored.map((token) => token.text)).toEqual([...text]);
    expect(scored.map((token) => token.offset)).toEqual([0, 1, 2, 3, 4, 5, 6]);
    expect(scored[0]).toMatchObject({ logProbability: null, top: null });
    const ids = [...new TextEncoder().encode(text)];
    const expected = tf.tidy(
      () => tf.logSoftmax(lm.model.logits({ ids: tf.tensor2d([ids.slice(0, -1)], [1, ids.length - 1], 'int32') })).arraySync() as number[][],
    );
    for (let index = 1; index < ids.length; index++) {
      const row = expected[index - 1]!;
      expect(scored[index]!.logProbability).toBeCloseTo(row[ids[index]!]!, 5);
      const best = [...row.keys()].sort((a, b) => row[b]! - row[a]!).slice(0, 3);
      expect(scored[index]!.top!.map((alternative) => alternative.id)).toEqual(best);
      expect(scored[index]!.top![0]!.logProbability).toBeCloseTo(row[best[0]!]!, 5);
      expect(scored[index]!.top![0]!.text).toBe(best[0]! < 128 ? String.fromCharCode(best[0]!) : `token_id:${best[0]}`);
      expect(scored[index]!.piece).toBe(text[index]);
    }
  });

  it('sums over the tokens past the prompt to logProbability, at ASCII and multi-byte boundaries', async () => {
    const text = 'ab é€😀 z';
    const scored = await lm.scoreTokens(text);
    expect(scored.map((token) => token.text).join('')).toBe(text);
    for (let split = 1; split < text.length; split++) {
      if (text.charCodeAt(split) >= 0xdc00 && text.charCodeAt(split) < 0xe000) continue; // inside a surrogate pair
      const whole = await lm.logProbability(text.slice(0, split), text.slice(split));
      expect(sumPast(scored, split, text.length), `split at ${split}`).toBeCloseTo(whole.logProbability, 4);
    }
  });

  it('places a token that begins inside a character after that character', () => {
    const tokenizer = byteTokenizer();
    const text = 'aé';
    expect(tokenOffsets(tokenizer, text, tokenizer.encode(text))).toEqual([0, 1, 2]);
  });

  it('scores an empty text and a one-token text without a forward pass', async () => {
    expect(await lm.scoreTokens('')).toEqual([]);
    expect(await lm.scoreTokens('a')).toEqual([{ id: 97, text: 'a', offset: 0, piece: 'a', logProbability: null, top: null }]);
  });
});
