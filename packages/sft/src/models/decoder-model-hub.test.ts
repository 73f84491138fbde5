/**
 * DecoderModel.load and loadTokenizer with a Hub id `org/name[@revision]`, through the mock Hub: the
 * same weights and tokenizer as loading the folder the repo was made from, the backend chosen by
 * itself (this file selects none before the first load), and the Hub's errors as HubErrors.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { encodeSafetensors, HubError, type ProgressEvent } from '@steerlm/core';
import { startMockHub, type MockHub } from '@steerlm/test-server';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { currentSelection } from '../backend/select-backend';
import { trainByteLevelBpe, writeByteLevelBpeTokenizer } from '../io/bpe-trainer';
import { parseModelConfig, writeModelConfig } from '../io/hf-config';
import { loadTokenizer } from '../io/tokenizer';
import { DecoderModel } from './decoder-model';
import { parameterSpecs } from './parameter-specs';

let root: string;
let folder: string;
let hub: MockHub;
let commit: string;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'steerlm-hub-model-'));
  folder = join(root, 'tiny');
  const texts = Array.from({ length: 30 }, (_, index) => `User: hello number ${index}, the quick brown fox\nAssistant: fine ${index * 7}`);
  await writeByteLevelBpeTokenizer(folder, await trainByteLevelBpe(texts, { vocabSize: 300 }));
  const config = parseModelConfig({
    architectures: ['LlamaForCausalLM'],
    vocab_size: 300,
    hidden_size: 16,
    intermediate_size: 32,
    num_hidden_layers: 1,
    num_attention_heads: 2,
    num_key_value_heads: 1,
    max_position_embeddings: 32,
  });
  await writeModelConfig(folder, config);
  // Weights written without tfjs (no backend is touched before the first load), each value distinct.
  const entries = parameterSpecs(config).map((spec, tensor) => ({
    name: spec.name,
    dtype: 'F32' as const,
    shape: spec.shape,
    data: Float32Array.from({ length: spec.shape.reduce((a, b) => a * b, 1) }, (_, index) => 0.1 * Math.sin(index * 0.37 + tensor)),
  }));
  await writeFile(join(folder, 'model.safetensors'), encodeSafetensors(entries));
  hub = await startMockHub();
  commit = await hub.addRepo('org/tiny', folder);
});
afterAll(async () => {
  await hub?.close();
  await rm(root, { recursive: true, force: true });
});

it('loads org/name from the Hub into the cache: the same logits and tokens as the folder, backend chosen by itself', async () => {
  expect((tf.engine() as unknown as { backendName: string | null }).backendName).toBeFalsy();
  const cacheDir = join(root, 'cache');
  const events: ProgressEvent[] = [];
  const hubOptions = { endpoint: hub.url, cacheDir, token: false as const, onProgress: (event: ProgressEvent) => events.push(event) };
  const fromHub = await DecoderModel.load('org/tiny', { hub: hubOptions });
  expect(currentSelection()).not.toBeNull();
  expect(events[0]).toMatchObject({
    type: 'job-start',
    job: 'download org/tiny',
    unit: 'bytes',
    detail: { commit, files: ['config.json', 'model.safetensors'] },
  });
  const fromFolder = await DecoderModel.load(folder);
  const tokenizerFromHub = await loadTokenizer('org/tiny', { hub: hubOptions });
  const tokenizerFromFolder = await loadTokenizer(folder);
  const text = 'hello number 3, the quick brown fox';
  const tokens = tokenizerFromHub.encode(text);
  expect(tokens).toEqual(tokenizerFromFolder.encode(text));
  expect(tokens.length).toBeGreaterThan(3);
  const ids = tf.tensor2d([tokens], [1, tokens.length], 'int32');
  const hubLogits = fromHub.logits({ ids });
  const folderLogits = fromFolder.logits({ ids });
  expect(hubLogits.shape).toEqual([tokens.length, 300]);
  expect(await hubLogits.data()).toEqual(await folderLogits.data());
  tf.dispose([ids, hubLogits, folderLogits]);
  fromHub.dispose();
  fromFolder.dispose();

  // The environment names the endpoint and cache when no option does; a pinned commit makes no request now.
  const saved = { HF_ENDPOINT: process.env.HF_ENDPOINT, HF_HUB_CACHE: process.env.HF_HUB_CACHE, HF_TOKEN: process.env.HF_TOKEN };
  process.env.HF_ENDPOINT = hub.url;
  process.env.HF_HUB_CACHE = cacheDir;
  delete process.env.HF_TOKEN;
  try {
    hub.clearRequests();
    const pinned = await DecoderModel.load(`org/tiny@${commit}`);
    expect(pinned.config.vocabSize).toBe(300);
    pinned.dispose();
    expect(hub.requests).toEqual([]);
  } finally {
    for (const [name, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  }
});

it('reports a missing repo and a repo without weights as HubErrors', async () => {
  const cacheDir = join(root, 'cache-errors');
  const error = await DecoderModel.load('org/missing', { hub: { endpoint: hub.url, cacheDir, token: false } }).catch((caught: unknown) => caught);
  expect(HubError.isInstance(error)).toBe(true);
  expect((error as HubError).message).toContain('org/missing is private or does not exist, and no token was sent');
  hub.addFiles('org/tokenizer-only', { 'tokenizer.json': '{}' });
  const noWeights = await DecoderModel.load('org/tokenizer-only', { hub: { endpoint: hub.url, cacheDir, token: false } }).catch((caught: unknown) => caught);
  expect((noWeights as HubError).message).toContain('org/tokenizer-only@main is missing config.json; one of model.safetensors, model.safetensors.index.json');
});
