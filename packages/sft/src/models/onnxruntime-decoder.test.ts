/**
 * The onnxruntime engine decodes like the tfjs one: for both families (grouped-query heads for Llama),
 * and for a LoRA-merged model, every logits row of the prefill and of each step agrees within 1e-4 and
 * greedy tokens are identical, batched with prompts of different lengths; stop strings and the end of
 * the positions end rows the same way; new weights make a new export.
 */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { InvalidOptionError } from '@steerlm/core';
import type { DecodeSession } from './decode-session';
import { DecoderModel } from './decoder-model';
import { generateTokens } from './generate-tokens';
import { LocalLanguageModel } from './local-language-model';
import { ONE_THREAD_PARAMETERS, OnnxruntimeDecoder, type OnnxruntimeDecoderOptions } from './onnxruntime-decoder';
import { parseModelConfig } from '../io/hf-config';
import { decoderOnnxModel } from '../export/decoder-onnx-graph';
import { TfjsDecodeSession } from './tfjs-decode-session';
import { byteTokenizer } from './testing/byte-tokenizer';
import { CONTRIB_PARITY_CONFIGS, PARITY_CONFIGS, PARITY_PROMPTS as PROMPTS, spreadBlockWeights } from './testing/parity-models';

const TOLERANCE = 1e-4;

beforeAll(async () => {
  await tf.setBackend('cpu');
});

function maxDifference(a: readonly Float32Array[], b: readonly Float32Array[]): number {
  expect(a.length).toBe(b.length);
  let worst = 0;
  a.forEach((row, index) => {
    expect(row.length).toBe(b[index]!.length);
    for (let column = 0; column < row.length; column++) worst = Math.max(worst, Math.abs(row[column]! - b[index]![column]!));
  });
  return worst;
}

/** Runs both sessions in lockstep on the tfjs greedy tokens; returns the worst logits difference and the tfjs tokens. */
async function lockstep(model: DecoderModel, steps: number, options: OnnxruntimeDecoderOptions): Promise<{ worst: number; tokens: number[][] }> {
  const decoder = await OnnxruntimeDecoder.create(model, options);
  const sessions: DecodeSession[] = [new TfjsDecodeSession(model), decoder.startDecode()];
  try {
    let [expected, actual] = await Promise.all(sessions.map((session) => session.prefill(PROMPTS)));
    let worst = maxDifference(expected!, actual!);
    const tokens: number[][] = PROMPTS.map(() => []);
    for (let step = 0; step < steps; step++) {
      const next = expected!.map((row) => row.indexOf(Math.max(...row)));
      next.forEach((token, row) => tokens[row]!.push(token));
      [expected, actual] = await Promise.all(sessions.map((session) => session.step(next)));
      worst = Math.max(worst, maxDifference(expected!, actual!));
    }
    return { worst, tokens };
  } finally {
    for (const session of sessions) session.dispose();
    decoder.release();
  }
}

async function greedy(source: DecoderModel | DecodeSession, prompts: readonly (readonly number[])[], maxTokens: number): Promise<number[][]> {
  const tokens: number[][] = prompts.map(() => []);
  for await (const step of generateTokens(source, prompts, { maxTokens, temperature: 0 })) {
    step.tokens.forEach((token, row) => {
      if (token !== undefined) tokens[row]!.push(token);
    });
  }
  return tokens;
}

/** The opTypes of the graph the engine runs for `model`. */
async function opTypes(model: DecoderModel, options: OnnxruntimeDecoderOptions): Promise<Set<string>> {
  const graph = await decoderOnnxModel(model, {
    lastTokenLogits: true,
    contribOps: options.contribOps ?? true,
    newKeyValuesOnly: options.inPlaceCache ?? true,
  });
  return new Set(graph.graph.nodes.map((node) => node.opType));
}

describe.each([
  ['the standard export, cache in place', PARITY_CONFIGS, { contribOps: false }, false],
  ['the contrib-op export, cache in place (standard attention)', CONTRIB_PARITY_CONFIGS, { contribOps: true }, false],
  ['the standard export with the whole cache as outputs', PARITY_CONFIGS, { contribOps: false, inPlaceCache: false }, false],
  ['the contrib-op export with the whole cache as outputs (GroupQueryAttention)', CONTRIB_PARITY_CONFIGS, { contribOps: true, inPlaceCache: false }, true],
  ['the contrib-op export with heads too narrow for GroupQueryAttention', PARITY_CONFIGS, { contribOps: true, inPlaceCache: false }, false],
] as const)('onnxruntime on %s against tfjs decoding', (_name, CONFIGS, options, gqa) => {
  it('runs the operators it names', async () => {
    for (const family of Object.keys(CONFIGS)) {
      const model = DecoderModel.create(CONFIGS[family]!(), { seed: 1 });
      const ops = await opTypes(model, options);
      expect(ops.has('GroupQueryAttention')).toBe(gqa);
      expect(ops.has('RotaryEmbedding')).toBe(gqa && family === 'llama');
      expect(ops.has(family === 'llama' ? 'SkipSimplifiedLayerNormalization' : 'SkipLayerNormalization')).toBe(options.contribOps);
      expect(ops.has('Softmax')).toBe(!gqa);
      model.dispose();
    }
  });

  for (const family of Object.keys(CONFIGS)) {
    it(`gives ${family}'s logits within 1e-4 at the prefill and every step, batched with prompts of different lengths`, async () => {
      const model = DecoderModel.create(CONFIGS[family]!(), { seed: 21 });
      try {
        // The contrib set's wider GPT-2 echoes its prompts at the initial weights.
        if (CONFIGS === CONTRIB_PARITY_CONFIGS) spreadBlockWeights(model);
        const { worst, tokens } = await lockstep(model, 10, options);
        expect(worst).toBeLessThan(TOLERANCE);
        // A random model's greedy answer is not one repeated token: the comparison means something.
        expect(new Set(tokens.flat()).size).toBeGreaterThan(3);
      } finally {
        model.dispose();
      }
    });

    it(`gives ${family}'s greedy tokens exactly through the shared loop`, async () => {
      const model = DecoderModel.create(CONFIGS[family]!(), { seed: 5 });
      const decoder = await OnnxruntimeDecoder.create(model, options);
      try {
        const expected = await greedy(model, PROMPTS, 12);
        expect(await greedy(decoder.startDecode(), PROMPTS, 12)).toEqual(expected);
        // Alone, a row decodes as it does in the batch (the padding is masked).
        expect(await greedy(decoder.startDecode(), [PROMPTS[1]!], 12)).toEqual([expected[1]]);
      } finally {
        decoder.release();
        model.dispose();
      }
    });
  }

  it('decodes a LoRA-merged model like tfjs, and refuses unmerged adapters', async () => {
    const model = DecoderModel.create(CONFIGS.llama!(), { seed: 8 });
    try {
      model.addLora({ rank: 4, alpha: 8, targetModules: ['q_proj', 'v_proj', 'down_proj'] }, { seed: 3 });
      // B starts at zero: give the adapters weight so the merge changes the model.
      for (const adapter of model.adapters.values()) adapter.b.assign(tf.randomNormal(adapter.b.shape, 0, 0.5, 'float32', 9));
      await expect(OnnxruntimeDecoder.create(model, options)).rejects.toThrow(InvalidOptionError);
      const before = DecoderModel.create(CONFIGS.llama!(), { seed: 8 });
      const unmerged = await OnnxruntimeDecoder.create(before, options);
      model.mergeLora();
      const { worst } = await lockstep(model, 8, options);
      expect(worst).toBeLessThan(TOLERANCE);
      // The merge changed the answer: the base model's decode differs from the merged one.
      expect(await greedy(unmerged.startDecode(), PROMPTS, 8)).not.toEqual(await greedy(model, PROMPTS, 8));
      unmerged.release();
      before.dispose();
    } finally {
      model.dispose();
    }
  });

  it("ends rows at the model's last position like tfjs", async () => {
    const model = DecoderModel.create(CONFIGS.gpt2!(), { seed: 4 });
    const decoder = await OnnxruntimeDecoder.create(model, options);
    try {
      const prompts = [Array.from({ length: 60 }, (_, index) => (index * 7) % 256), [1, 2, 3]];
      const expected = await greedy(model, prompts, 10);
      expect(expected[0]!.length).toBe(5);
      expect(await greedy(decoder.startDecode(), prompts, 10)).toEqual(expected);
    } finally {
      decoder.release();
      model.dispose();
    }
  });
});

describe('LocalLanguageModel engines', () => {
  it('gives the same texts, stops and finish reasons on onnxruntime as on tfjs, sampled with a seed', async () => {
    const model = DecoderModel.create(PARITY_CONFIGS.llama!(), { seed: 13 });
    const tokenizer = byteTokenizer();
    const onnx = new LocalLanguageModel(model, tokenizer, { engine: 'onnxruntime' });
    const tfjs = new LocalLanguageModel(model, tokenizer, { engine: 'tfjs' });
    try {
      expect(await new LocalLanguageModel(model, tokenizer).resolveEngine()).toBe('onnxruntime');
      // The engine runs the contrib-op export unless told otherwise.
      const defaults = await OnnxruntimeDecoder.create(model);
      expect(defaults.contribOps).toBe(true);
      defaults.release();
      const prompts = ['Once upon a time', 'Hi', 'The quick brown fox jumps'];
      const greedyTexts = await tfjs.generateBatch(prompts, { maxTokens: 12, temperature: 0 });
      // A stop string that occurs in the greedy texts, so it cuts at least one row short.
      const stop = greedyTexts[0]!.text.slice(3, 5);
      expect(stop.length).toBe(2);
      const options = { maxTokens: 12, temperature: 0.8, topK: 40, topP: 0.9, seed: 7, stop: [stop] };
      const expected = await tfjs.generateBatch(prompts, options);
      expect(expected.some((result) => result.finishReason === 'stop')).toBe(true);
      expect(await onnx.generateBatch(prompts, options)).toEqual(expected);
      expect(await onnx.generateBatch(prompts, { maxTokens: 12, temperature: 0 })).toEqual(greedyTexts);
      // Concurrent requests on a fresh model share one export and decode independently.
      const shared = new LocalLanguageModel(model, tokenizer);
      const create = vi.spyOn(OnnxruntimeDecoder, 'create');
      const concurrent = await Promise.all(prompts.map((prompt) => shared.generate(prompt, options)));
      expect(create).toHaveBeenCalledTimes(1);
      // prepareEngine exports up front; the next decode uses that export.
      const prepared = new LocalLanguageModel(model, tokenizer);
      expect(await prepared.prepareEngine()).toBe('onnxruntime');
      expect(create).toHaveBeenCalledTimes(2);
      await prepared.generate(prompts[0]!, options);
      expect(create).toHaveBeenCalledTimes(2);
      await prepared.releaseEngine();
      create.mockRestore();
      await shared.releaseEngine();
      expect(concurrent).toEqual(await Promise.all(prompts.map((prompt) => tfjs.generate(prompt, options))));
      let streamed = '';
      for await (const piece of onnx.stream(prompts[2]!, options)) streamed += piece;
      expect(streamed).toBe((await tfjs.generate(prompts[2]!, options)).text);
    } finally {
      await onnx.releaseEngine();
      model.dispose();
    }
  });

  it('decodes concurrent calls in one running onnxruntime batch, each with its own stops, seed and stream, as it decodes alone', async () => {
    const model = DecoderModel.create(PARITY_CONFIGS.llama!(), { seed: 13 });
    const tokenizer = byteTokenizer();
    const batched = new LocalLanguageModel(model, tokenizer, { engine: 'onnxruntime', continuousBatching: { maxRows: 8 } });
    const plain = new LocalLanguageModel(model, tokenizer, { engine: 'onnxruntime' });
    try {
      const prompts = ['Once upon a time', 'Hi', 'The quick brown fox jumps'];
      const greedyTexts = await plain.generateBatch(prompts, { maxTokens: 16, temperature: 0 });
      // Stop strings that occur in the greedy answers of two prompts (each request has its own): a character
      // that is a whole byte (a random model's bytes are rarely valid UTF-8), first seen after the second.
      const stops = [greedyTexts[0]!.text, greedyTexts[2]!.text].map(
        (text) => [...text].find((char, index) => index >= 2 && char !== '\uFFFD' && text.indexOf(char) === index) ?? '',
      );
      expect(stops.every((stop) => stop.length === 1)).toBe(true);
      const calls = (local: LocalLanguageModel): Promise<unknown>[] => {
        const streamed = async (prompt: string, options: Parameters<LocalLanguageModel['stream']>[1]) => {
          let out = '';
          for await (const piece of local.stream(prompt, options)) out += piece;
          return out;
        };
        return [
          local.generate(prompts[0]!, { maxTokens: 16, temperature: 0, stop: [stops[0]!] }),
          local.generate(prompts[1]!, { maxTokens: 12, temperature: 0.9, topK: 40, seed: 7, stop: [] }),
          // Joins after the others have decoded a few tokens.
          new Promise((resolve) => setTimeout(resolve, 15)).then(() => streamed(prompts[2]!, { maxTokens: 16, temperature: 0, stop: [stops[1]!] })),
          local.generate(prompts[2]!, { maxTokens: 9, temperature: 0.7, seed: 11, stop: [stops[1]!] }),
        ];
      };
      const together = await Promise.all(calls(batched));
      expect(batched.batcher!.peakRows).toBeGreaterThanOrEqual(3);
      const alone: unknown[] = [];
      for (const call of calls(plain)) alone.push(await call);
      expect(together).toEqual(alone);
      // The stops cut the two greedy answers short, each at its own string.
      const first = together[0] as { text: string; finishReason: string };
      expect(first.finishReason).toBe('stop');
      expect(first.text.length).toBeLessThan(greedyTexts[0]!.text.indexOf(stops[0]!) + 1);
      expect(greedyTexts[0]!.text.startsWith(first.text)).toBe(true);
      const third = together[2] as string;
      expect(third.length).toBeLessThan(greedyTexts[2]!.text.indexOf(stops[1]!) + 1);
      expect(greedyTexts[2]!.text.startsWith(third)).toBe(true);
    } finally {
      await batched.releaseEngine();
      await plain.releaseEngine();
      model.dispose();
    }
  });

  it('exports again when the weights change, and falls back to tfjs for unmerged adapters on auto', async () => {
    const model = DecoderModel.create(PARITY_CONFIGS.llama!(), { seed: 2 });
    const tokenizer = byteTokenizer();
    const onnx = new LocalLanguageModel(model, tokenizer, { engine: 'onnxruntime' });
    const tfjs = new LocalLanguageModel(model, tokenizer, { engine: 'tfjs' });
    const options = { maxTokens: 10, temperature: 0 };
    try {
      expect(await onnx.generate('abc', options)).toEqual(await tfjs.generate('abc', options));
      const embedding = model.parameters.get('model.embed_tokens.weight')!;
      embedding.assign(tf.mul(embedding, -1.5));
      const changed = await tfjs.generate('abc', options);
      expect(await onnx.generate('abc', options)).toEqual(changed);
      // Weights beyond the in-memory export's 1.5 GiB: auto decodes on tfjs, onnxruntime says why it cannot.
      const size = vi.spyOn(model, 'parameterCount').mockReturnValue(420_000_000);
      expect(await new LocalLanguageModel(model, tokenizer).resolveEngine()).toBe('tfjs');
      await expect(OnnxruntimeDecoder.create(model)).rejects.toThrow(/1\.56 GiB\) exceed the in-memory ONNX export/);
      size.mockRestore();
      model.addLora({ rank: 2, alpha: 4, targetModules: ['q_proj'] }, { seed: 1 });
      const auto = new LocalLanguageModel(model, tokenizer);
      expect(await auto.resolveEngine()).toBe('tfjs');
      await expect(onnx.generate('abc', options)).rejects.toThrow(/unmerged LoRA/);
      expect(() => new LocalLanguageModel(model, tokenizer, { engine: 'fast' as never })).toThrow(InvalidOptionError);
    } finally {
      await onnx.releaseEngine();
      model.dispose();
    }
  });
});

describe('OnnxruntimeDecoder threads', () => {
  it('runs a small model on one intra-op thread by default, a larger one on onnxruntime’s default, and takes an explicit count', async () => {
    const small = DecoderModel.create(PARITY_CONFIGS.llama!(), { seed: 2 });
    const larger = DecoderModel.create(
      parseModelConfig({
        architectures: ['LlamaForCausalLM'],
        vocab_size: 256,
        hidden_size: 384,
        intermediate_size: 1024,
        num_hidden_layers: 3,
        num_attention_heads: 4,
        max_position_embeddings: 32,
      }),
      { seed: 2 },
    );
    expect(small.parameterCount()).toBeLessThan(ONE_THREAD_PARAMETERS);
    expect(larger.parameterCount()).toBeGreaterThanOrEqual(ONE_THREAD_PARAMETERS);
    const decoders = [
      await OnnxruntimeDecoder.create(small),
      await OnnxruntimeDecoder.create(larger),
      await OnnxruntimeDecoder.create(small, { intraOpNumThreads: 2 }),
    ];
    try {
      expect(decoders.map((decoder) => decoder.intraOpNumThreads)).toEqual([1, undefined, 2]);
      await expect(OnnxruntimeDecoder.create(small, { intraOpNumThreads: 0 })).rejects.toBeInstanceOf(InvalidOptionError);
    } finally {
      for (const decoder of decoders) decoder.release();
      small.dispose();
      larger.dispose();
    }
  });
});
