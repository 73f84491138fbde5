import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { conditionPrompt, seededRandom, type Tokenizer } from '@steerlm/core';
import { parseModelConfig } from '../io/hf-config';
import { DecoderModel } from './decoder-model';
import { generateTokens } from './generate-tokens';
import { LocalLanguageModel } from './local-language-model';
import { sampleToken, type SamplingOptions } from './sampling';

/** Each character is one id (code mod 64); no EOS, so only the length or a stop ends a row. */
const characters: Tokenizer = {
  specificationVersion: 'v1',
  vocabSize: 64,
  specialTokens: {},
  encode: (text) => [...text].map((character) => character.charCodeAt(0) % 64),
  decode: (ids) => ids.map((id) => String.fromCharCode(64 + id)).join(''),
  tokenToId: () => undefined,
};

let decoder: DecoderModel;

beforeAll(async () => {
  await tf.setBackend('cpu');
  decoder = DecoderModel.create(
    parseModelConfig({
      architectures: ['LlamaForCausalLM'],
      vocab_size: 64,
      hidden_size: 16,
      intermediate_size: 24,
      num_hidden_layers: 2,
      num_attention_heads: 2,
      max_position_embeddings: 128,
    }),
    { seed: 11 },
  );
});

afterAll(() => decoder.dispose());

/** The next-token logits after `ids`, from one full forward pass (no KV cache). */
function lastLogits(ids: readonly number[]): Float32Array {
  return tf.tidy(() => {
    const logits = decoder.logits({ ids: tf.tensor2d([ids as number[]], [1, ids.length], 'int32') });
    return logits.slice([ids.length - 1, 0], [1, -1]).dataSync() as Float32Array;
  });
}

/**
 * The tokens sampled (seeded, as generateTokens does) from Σ weight · logits(prompt + tokens so far), each
 * step from separate full forward passes.
 */
function referenceDecode(rows: readonly { ids: readonly number[]; weight: number }[], steps: number, sampling: SamplingOptions & { seed: number }): number[] {
  const produced: number[] = [];
  const random = seededRandom(sampling.seed);
  for (let step = 0; step < steps; step++) {
    const mixed = new Float32Array(64);
    for (const { ids, weight } of rows) lastLogits([...ids, ...produced]).forEach((value, index) => (mixed[index] += weight * value));
    produced.push(sampleToken(mixed, new Set(), sampling, random));
  }
  return produced;
}

async function decode(prompts: readonly (readonly number[])[], options: Parameters<typeof generateTokens>[2]): Promise<number[][]> {
  const out: number[][] = [];
  for await (const step of generateTokens(decoder, prompts, options)) {
    step.tokens.forEach((token, group) => {
      out[group] ??= [];
      if (token !== undefined) out[group]!.push(token);
    });
  }
  return out;
}

const conditioned = [5, 9, 2, 33, 17, 40, 8];
const neutral = [5, 9, 2, 33, 17];

describe('logit guidance in generateTokens', () => {
  it('s = 1 (neutral weight 0) gives the tokens of plain decoding, greedy and sampled', async () => {
    for (const sampling of [{ temperature: 0 }, { temperature: 1, topK: 20, seed: 3 }]) {
      const [plain] = await decode([conditioned], { maxTokens: 12, ...sampling });
      const [guided] = await decode([conditioned, neutral], {
        maxTokens: 12,
        ...sampling,
        groups: [
          [
            { row: 0, weight: 1 },
            { row: 1, weight: 0 },
          ],
        ],
      });
      expect(guided).toEqual(plain);
      expect(plain).toHaveLength(12);
    }
  });

  it('s = 0 gives the tokens of the neutral prompt decoded alone (greedy)', async () => {
    const [alone] = await decode([neutral], { maxTokens: 12, temperature: 0 });
    const [guided] = await decode([conditioned, neutral], {
      maxTokens: 12,
      temperature: 0,
      groups: [
        [
          { row: 0, weight: 0 },
          { row: 1, weight: 1 },
        ],
      ],
    });
    expect(guided).toEqual(alone);
  });

  it('s = 2 samples from 2·conditioned − neutral, equal within 1e-5 to two separate forward passes each step', async () => {
    const seen: Float32Array[] = [];
    const [tokens] = await decode([conditioned, neutral], {
      maxTokens: 6,
      temperature: 0,
      groups: [
        [
          { row: 0, weight: 2 },
          { row: 1, weight: -1 },
        ],
      ],
      onLogits: (_, logits) => seen.push(Float32Array.from(logits[0]!)),
    });
    expect(seen).toHaveLength(6);
    let largest = 0;
    seen.forEach((mixed, step) => {
      const produced = tokens!.slice(0, step);
      const expected = lastLogits([...conditioned, ...produced]).map((value, index) => 2 * value - lastLogits([...neutral, ...produced])[index]!);
      mixed.forEach((value, index) => (largest = Math.max(largest, Math.abs(value - expected[index]!))));
    });
    expect(largest).toBeLessThan(1e-5);
    // The check can tell: the guided logits are far from the conditioned ones.
    const first = lastLogits(conditioned);
    expect(Math.max(...seen[0]!.map((value, index) => Math.abs(value - first[index]!)))).toBeGreaterThan(0.01);
  });

  it('keeps each group of a batch apart: a guided group beside a plain row', async () => {
    const other = [7, 7, 3];
    const [alone] = await decode([other], { maxTokens: 8, temperature: 0 });
    const [guided] = await decode([conditioned, neutral], {
      maxTokens: 8,
      temperature: 0,
      groups: [
        [
          { row: 0, weight: 2 },
          { row: 1, weight: -1 },
        ],
      ],
    });
    const both = await decode([conditioned, other, neutral], {
      maxTokens: 8,
      temperature: 0,
      groups: [
        [
          { row: 0, weight: 2 },
          { row: 2, weight: -1 },
        ],
        [{ row: 1, weight: 1 }],
      ],
    });
    expect(both).toEqual([guided, alone]);
  });
});

describe('guidance and interpolation in LocalLanguageModel', () => {
  const local = () => new LocalLanguageModel(decoder, characters);
  const request = { prompt: 'Hi', system: 'S' };
  const ids = (attributes?: Record<string, number>) => characters.encode(conditionPrompt({ ...request, ...(attributes ? { attributes } : {}) }));
  const greedy = { maxTokens: 8, temperature: 0, stop: [] };
  // Top-p walks by descending score, so a small change of the logits soon changes the drawn tokens (the
  // id-order walk of untruncated sampling draws mostly the same ones from nearby distributions with one
  // seed), and 24 tokens give humor 2.25 room to part from humor 2.
  const sampled = { maxTokens: 24, temperature: 1, topP: 0.95, seed: 5, stop: [] };

  it('humor 2.0 and guidance 1 decode exactly as plain humor 2', async () => {
    const plain = await local().generate(conditionPrompt({ ...request, attributes: { humor: 2 } }), greedy);
    expect(plain.text).toHaveLength(8);
    expect(await local().steer({ ...request, attributes: { humor: 2.0 } }, greedy)).toEqual(plain);
    expect(await local().steer({ ...request, attributes: { humor: 2 }, guidance: { scale: 1, neutral: { humor: 0 } } }, greedy)).toEqual(plain);
  });

  it('guidance 0 decodes the neutral prompt: the unlabelled one by default', async () => {
    const unlabelled = await local().generate(conditionPrompt(request), greedy);
    expect((await local().steer({ ...request, attributes: { humor: 4 }, guidance: { scale: 0 } }, greedy)).text).toBe(unlabelled.text);
  });

  it('guidance 3 against humor 0 samples from 3·logits(humor 4) − 2·logits(humor 0)', async () => {
    const steered = await local().steer({ ...request, attributes: { humor: 4 }, guidance: { scale: 3, neutral: { humor: 0 } } }, sampled);
    const expected = referenceDecode(
      [
        { ids: ids({ humor: 4 }), weight: 3 },
        { ids: ids({ humor: 0 }), weight: -2 },
      ],
      sampled.maxTokens,
      sampled,
    );
    expect(characters.encode(steered.text)).toEqual(expected);
    const plain = await local().steer({ ...request, attributes: { humor: 4 } }, sampled);
    expect(steered.text).not.toBe(plain.text);
  });

  it('humor 2.25 follows 0.75·logits(humor 2) + 0.25·logits(humor 3), also when streamed', async () => {
    const expected = referenceDecode(
      [
        { ids: ids({ humor: 2 }), weight: 0.75 },
        { ids: ids({ humor: 3 }), weight: 0.25 },
      ],
      sampled.maxTokens,
      sampled,
    );
    const steered = await local().steer({ ...request, attributes: { humor: 2.25 } }, sampled);
    expect(characters.encode(steered.text)).toEqual(expected);
    expect(steered.usage).toEqual({ promptTokens: ids({ humor: 2 }).length, completionTokens: sampled.maxTokens });
    expect(steered.text).not.toBe((await local().steer({ ...request, attributes: { humor: 2 } }, sampled)).text);
    const model = local();
    let streamed = '';
    const mixPrompts = [{ prompt: conditionPrompt({ ...request, attributes: { humor: 3 } }), weight: 0.25 }];
    for await (const piece of model.stream(conditionPrompt({ ...request, attributes: { humor: 2 } }), { ...sampled, mixPrompts })) streamed += piece;
    expect(streamed).toBe(steered.text);
  });

  for (const engine of ['tfjs', 'onnxruntime'] as const) {
    it(`with continuous batching on ${engine}, concurrent generate and stream calls (guided too) give what they give alone`, async () => {
      const batched = new LocalLanguageModel(decoder, characters, { engine, continuousBatching: { maxRows: 8 } });
      const text = async (model: LocalLanguageModel, prompt: string, options: Parameters<LocalLanguageModel['stream']>[1]) => {
        let out = '';
        for await (const piece of model.stream(prompt, options)) out += piece;
        return out;
      };
      const neutral = conditionPrompt(request);
      const calls = (model: LocalLanguageModel) => [
        model.generate(conditionPrompt({ ...request, attributes: { humor: 2 } }), sampled),
        model.generate(conditionPrompt({ ...request, attributes: { humor: 4 } }), { ...sampled, seed: 7, mixPrompts: [{ prompt: neutral, weight: -2 }] }),
        text(model, conditionPrompt({ ...request, prompt: 'Hello there', attributes: { humor: 1 } }), { ...greedy, maxTokens: 12 }),
        model.generate('Hi', { ...greedy, maxTokens: 3 }),
      ];
      const together = await Promise.all(calls(batched));
      expect(batched.batcher!.peakRows).toBe(5);
      const alone: unknown[] = [];
      for (const call of calls(local())) alone.push(await call);
      expect(together).toEqual(alone);
      await batched.releaseEngine();
    });
  }

  it('refuses mixPrompts for a batch of several prompts', async () => {
    await expect(local().generateBatch(['a', 'b'], { mixPrompts: [{ prompt: 'c', weight: -1 }] })).rejects.toThrow(/mixPrompts belong to one prompt/);
  });
});
