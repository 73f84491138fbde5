/**
 * The onnxruntime decode session runs both graphs: the in-memory one with `logits_index` (logits [B, V])
 * and exportOnnx's for transformers.js (logits [B, T, V], the row picked here), as the browser playground
 * loads it. Both decode the same logits, batched with prompts of different lengths.
 */
import * as tf from '@tensorflow/tfjs';
import type * as Ort from 'onnxruntime-node';
import { beforeAll, describe, expect, it } from 'vitest';
import { ModelFormatError } from '@steerlm/core';
import { cacheGeometry, decoderOnnxModel } from '../export/decoder-onnx-graph';
import { encodeOnnxModel } from '../io/onnx';
import { DecoderModel } from './decoder-model';
import { generateTokens } from './generate-tokens';
import { decodeGeometryOfSession, OnnxruntimeDecodeSession } from './onnxruntime-decode-session';
import { loadOnnxruntime } from './onnxruntime-decoder';
import { PARITY_CONFIGS as CONFIGS, PARITY_PROMPTS as PROMPTS } from './testing/parity-models';

let ort: typeof Ort;

beforeAll(async () => {
  await tf.setBackend('cpu');
  ort = (await loadOnnxruntime())!;
});

async function session(model: DecoderModel, lastTokenLogits: boolean): Promise<Ort.InferenceSession> {
  return ort.InferenceSession.create(encodeOnnxModel(await decoderOnnxModel(model, { lastTokenLogits })));
}

/** Greedy tokens and every step's logits rows of a decode on `graph`. */
async function decode(graph: Ort.InferenceSession, model: DecoderModel, preallocate: boolean): Promise<{ tokens: number[][]; logits: Float32Array[][] }> {
  const tokens: number[][] = PROMPTS.map(() => []);
  const logits: Float32Array[][] = [];
  const decodeSession = new OnnxruntimeDecodeSession(ort, graph, {
    geometry: decodeGeometryOfSession(graph),
    maxPositions: model.config.maxPositionEmbeddings,
    preallocate,
  });
  for await (const step of generateTokens(decodeSession, PROMPTS, {
    maxTokens: 6,
    temperature: 0,
    onLogits: (_step, rows) => logits.push(rows.map((row) => Float32Array.from(row))),
  })) {
    step.tokens.forEach((token, row) => token !== undefined && tokens[row]!.push(token));
  }
  return { tokens, logits };
}

describe('OnnxruntimeDecodeSession', () => {
  for (const family of Object.keys(CONFIGS)) {
    it(`decodes ${family} on the exported graph (every position's logits) as on the last-token graph`, async () => {
      const model = DecoderModel.create(CONFIGS[family]!(), { seed: 7 });
      const [full, last] = await Promise.all([session(model, false), session(model, true)]);
      try {
        // The geometry read from the graph is the family's.
        expect(decodeGeometryOfSession(full)).toEqual({ ...cacheGeometry(model.config), vocab: model.config.vocabSize });
        const reference = await decode(last, model, true);
        for (const preallocate of [false, true]) {
          const ours = await decode(full, model, preallocate);
          expect(ours.tokens).toEqual(reference.tokens);
          let worst = 0;
          ours.logits.forEach((rows, step) =>
            rows.forEach((row, index) => row.forEach((value, column) => (worst = Math.max(worst, Math.abs(value - reference.logits[step]![index]![column]!))))),
          );
          expect(worst).toBeLessThan(1e-5);
        }
      } finally {
        await Promise.all([full.release(), last.release()]);
        model.dispose();
      }
    });
  }

  it('names the file when the graph is not a decoder with a cache', () => {
    const identity = { inputNames: ['x'], outputNames: ['y'], inputMetadata: [{ name: 'x', isTensor: true, type: 'float32', shape: [1] }], outputMetadata: [] };
    const graph = identity as unknown as Ort.InferenceSession;
    expect(() => decodeGeometryOfSession(graph, 'picked/model.onnx')).toThrow(ModelFormatError);
    expect(() => decodeGeometryOfSession(graph, 'picked/model.onnx')).toThrow(/picked\/model\.onnx|not a decoder with a key\/value cache/);
  });
});
