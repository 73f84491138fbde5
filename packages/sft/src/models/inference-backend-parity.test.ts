/**
 * Inference gives the same answers on webgpu as on wasm, for both families, from the same seeded
 * weights: greedy decoding (batched prompts of different lengths, KV cache, grouped-query heads)
 * yields identical tokens, log-probabilities agree within 1e-4, and the ONNX export is the same
 * bytes. With CI=true the webgpu half must run (lavapipe), and any Dawn error fails it.
 */
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { selectBackend } from '../backend';
import { decoderOnnxModel } from '../export/decoder-onnx-graph';
import { encodeOnnxModel } from '../io/onnx';
import { forEachBackend } from '../kernels/testing';
import { DecoderModel } from './decoder-model';
import { generateTokens } from './generate-tokens';
import { LocalLanguageModel } from './local-language-model';
import { byteTokenizer } from './testing/byte-tokenizer';
import { PARITY_CONFIGS as CONFIGS, PARITY_PROMPTS as PROMPTS } from './testing/parity-models';

interface InferenceResult {
  tokens: number[][];
  logProbability: number;
  onnx: Uint8Array;
}

/** Returns greedy tokens, a log-probability and the ONNX bytes of the seeded model of `family` on the active backend. */
async function runInference(family: string): Promise<InferenceResult> {
  const model = DecoderModel.create(CONFIGS[family]!(), { seed: 21 });
  try {
    const tokens: number[][] = PROMPTS.map(() => []);
    for await (const step of generateTokens(model, PROMPTS, { maxTokens: 12, temperature: 0 })) {
      step.tokens.forEach((token, row) => {
        if (token !== undefined) tokens[row]!.push(token);
      });
    }
    const language = new LocalLanguageModel(model, byteTokenizer());
    const { logProbability } = await language.logProbability('Once upon a', ' time there');
    return { tokens, logProbability, onnx: encodeOnnxModel(await decoderOnnxModel(model)) };
  } finally {
    model.dispose();
  }
}

const reference = new Map<string, InferenceResult>();

describe('on wasm (the reference)', () => {
  for (const family of Object.keys(CONFIGS)) {
    it(`decodes ${family} greedily and scores a continuation`, async () => {
      await selectBackend({ prefer: 'wasm', strict: true });
      const result = await runInference(family);
      expect(result.tokens.map((row) => row.length)).toEqual([12, 12, 12]);
      // A random model's greedy answer is not one repeated token: the comparison below means something.
      expect(new Set(result.tokens.flat()).size).toBeGreaterThan(3);
      expect(result.logProbability).toBeLessThan(-5);
      reference.set(family, result);
    });
  }
});

await forEachBackend(['webgpu'], () => {
  for (const family of Object.keys(CONFIGS)) {
    it(`gives ${family}'s greedy tokens exactly, its log-probability within 1e-4 and the same ONNX bytes`, async () => {
      const expected = reference.get(family);
      expect(expected, 'the wasm run').toBeDefined();
      const result = await runInference(family);
      expect(tf.getBackend()).toBe('webgpu');
      expect(result.tokens).toEqual(expected!.tokens);
      expect(Math.abs(result.logProbability - expected!.logProbability)).toBeLessThan(1e-4 * Math.abs(expected!.logProbability));
      expect(Buffer.from(result.onnx).equals(Buffer.from(expected!.onnx))).toBe(true);
    }, 120_000);
  }
});
