/**
 * InPageModel on a fake onnxruntime-web (no browser): on the WebGPU provider it asks for `present.*` as
 * GPU buffers and its decode keeps the cache there (each answer's report says so, with nothing left
 * alive); on wasm it asks for nothing new. A config.json whose layers miss some of the graph's cache
 * outputs is refused. The real WebGPU run is in-page-playground.test.ts (STEERLM_BROWSER_WEBGPU=1).
 */
import * as ortWeb from 'onnxruntime-web';
import { beforeAll, describe, expect, it } from 'vitest';
import { ModelFormatError, STEERLM } from '@steerlm/core';
import { byteLevelBpeTokenizerConfig, byteLevelBpeTokenizerJson, trainByteLevelBpe } from '@steerlm/sft';
import type { OrtModule } from '@steerlm/sft/browser';
import { cacheNames, fakeDecoderSession } from '../../testing/fake-decoder-session';
import { InPageModel, type InPageExecutionProvider, type InPageSteerProgress, type ModelFolderFile } from './in-page-model';

const START = Object.fromEntries(STEERLM.attributes.map((definition) => [definition.name, definition.default ?? definition.min]));
let tokenizerJson: unknown;
let tokenizerConfig: unknown;
let vocab: number;

beforeAll(async () => {
  const corpus = Array.from({ length: 40 }, (_, index) => `a user asks and an assistant answers number ${index}`);
  const trained = await trainByteLevelBpe(corpus, { vocabSize: 300 });
  tokenizerJson = byteLevelBpeTokenizerJson(trained);
  tokenizerConfig = byteLevelBpeTokenizerConfig(trained);
  vocab = 300;
});

function folder(layers: number): ModelFolderFile[] {
  const json = (name: string, value: unknown): ModelFolderFile => ({ name, bytes: () => Promise.resolve(new TextEncoder().encode(JSON.stringify(value))) });
  return [
    json('my-model/config.json', {
      architectures: ['LlamaForCausalLM'],
      vocab_size: vocab,
      hidden_size: 8,
      intermediate_size: 16,
      num_hidden_layers: layers,
      num_attention_heads: 2,
      max_position_embeddings: 256,
    }),
    json('my-model/tokenizer.json', tokenizerJson),
    json('my-model/tokenizer_config.json', tokenizerConfig),
    { name: 'my-model/onnx/model.onnx', bytes: () => Promise.resolve(new Uint8Array([0])) },
  ];
}

/** A fake onnxruntime-web whose sessions are a 2-layer fake decoder with its cache in `location`; records the session options. */
function fakeOrt(location: 'gpu-buffer' | 'cpu') {
  const fake = fakeDecoderSession({ layers: 2, kvHeads: 2, headDim: 4, vocab }, location);
  const created: Record<string, unknown>[] = [];
  const ort = {
    env: { wasm: {} },
    Tensor: ortWeb.Tensor,
    InferenceSession: {
      create: (_model: Uint8Array, options: Record<string, unknown>) => {
        created.push(options);
        return Promise.resolve(fake.session);
      },
    },
  } as unknown as OrtModule;
  return { ort, created, fake };
}

async function load(ort: OrtModule, provider: InPageExecutionProvider, layers = 2): Promise<InPageModel> {
  return InPageModel.load(ort, folder(layers), { executionProviders: [provider], wasmPaths: 'http://localhost/' });
}

async function last(model: InPageModel): Promise<InPageSteerProgress> {
  let final: InPageSteerProgress | undefined;
  for await (const progress of model.steer({ prompt: 'Tell me a joke.', attributes: START, maxTokens: 5, temperature: 0 })) final = progress;
  return final!;
}

describe('InPageModel on the WebGPU provider', () => {
  it('asks for every present.* output as a GPU buffer and decodes with the cache on the GPU, leaving nothing alive', async () => {
    const { ort, created, fake } = fakeOrt('gpu-buffer');
    const model = await load(ort, 'webgpu');
    expect(created).toHaveLength(1);
    expect(created[0]).toMatchObject({ executionProviders: ['webgpu'] });
    expect(created[0]!.preferredOutputLocation).toEqual(Object.fromEntries(cacheNames(2).map((name) => [`present.${name}`, 'gpu-buffer'])));
    const final = await last(model);
    expect(final.done).toBe(true);
    const steps = final.tokens.length - 1;
    expect(final.decode).toMatchObject({
      executionProvider: 'webgpu',
      kvCache: 'gpu-buffer',
      runs: final.tokens.length,
      cacheOutputsOnCpu: new Array<number>(1 + steps).fill(0),
      cacheInputsFromCpu: new Array<number>(1 + steps).fill(0),
      gpuTensorsAlive: 0,
    });
    // Only the logits come back: [1, 1, V] a step.
    expect(final.decode!.readBytes.slice(1)).toEqual(new Array<number>(steps).fill(vocab * 4));
    expect(fake.freed).toHaveLength(final.tokens.length * cacheNames(2).length);
    expect(final.decode!.seconds).toBeGreaterThanOrEqual(final.decode!.firstTokenSeconds);
  });

  it('refuses a config.json with fewer layers than the graph has cache outputs (they would come back to the CPU)', async () => {
    const { ort, fake } = fakeOrt('gpu-buffer');
    const error = await load(ort, 'webgpu', 1).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ModelFormatError);
    expect((error as Error).message).toMatch(
      /my-model\/config\.json says 1 layers but my-model\/onnx\/model\.onnx has a key\/value cache of 2 \(present\.1\.key, present\.1\.value/,
    );
    expect(fake.session.released).toBe(1);
  });
});

describe('InPageModel on wasm', () => {
  it('asks for no output location (the cache comes back to the CPU, as before)', async () => {
    const { ort, created } = fakeOrt('cpu');
    const model = await load(ort, 'wasm');
    expect(created[0]).toMatchObject({ executionProviders: ['wasm'] });
    expect(created[0]).not.toHaveProperty('preferredOutputLocation');
    const final = await last(model);
    expect(final.decode).toMatchObject({ executionProvider: 'wasm', kvCache: 'cpu', runs: final.tokens.length, gpuTensorsAlive: 0 });
  });
});
