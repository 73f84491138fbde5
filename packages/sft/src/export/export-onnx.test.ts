import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InvalidOptionError, ModelFormatError } from '@steerlm/core';
import { trainByteLevelBpe, writeByteLevelBpeTokenizer } from '../io/bpe-trainer';
import { modelConfigToJson, parseModelConfig, type ModelConfig } from '../io/hf-config';
import { loadTokenizer } from '../io/tokenizer';
import { DecoderModel, generateTokens } from '../models';
import { exportHuggingFace } from './export-hugging-face';
import { exportOnnx } from './export-onnx';

/** The slice of transformers.js used here (a foreign boundary, typed narrowly). */
interface TransformersTensor {
  data: Float32Array | BigInt64Array;
  dims: number[];
}
interface TransformersCausalLM {
  (inputs: Record<string, unknown>): Promise<{ logits: TransformersTensor }>;
  generate(options: Record<string, unknown>): Promise<TransformersTensor>;
  dispose(): Promise<unknown>;
}
interface TransformersModule {
  env: { allowRemoteModels: boolean; allowLocalModels: boolean; localModelPath: string; useFSCache: boolean };
  AutoModelForCausalLM: { from_pretrained(name: string, options: Record<string, unknown>): Promise<TransformersCausalLM> };
  AutoTokenizer: { from_pretrained(name: string, options: Record<string, unknown>): Promise<{ encode(text: string): number[] }> };
  Tensor: new (type: string, data: BigInt64Array, dims: number[]) => TransformersTensor;
}

const VOCAB = 300;
let root: string;
let tokenizerFolder: string;
let transformers: TransformersModule;

beforeAll(async () => {
  await tf.setBackend('cpu');
  root = await mkdtemp(join(tmpdir(), 'steerlm-export-'));
  tokenizerFolder = join(root, 'tokenizer');
  const texts = Array.from(
    { length: 40 },
    (_, index) => `<extra_id_1>User\nhello number ${index}, the quick brown fox\n<extra_id_1>Assistant\n<extra_id_2>quality:4\nfine`,
  );
  await writeByteLevelBpeTokenizer(tokenizerFolder, await trainByteLevelBpe(texts, { vocabSize: VOCAB }));
  transformers = (await import('@huggingface/transformers')) as unknown as TransformersModule;
  transformers.env.allowRemoteModels = false;
  transformers.env.allowLocalModels = true;
  transformers.env.useFSCache = false;
  transformers.env.localModelPath = root;
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

const llamaConfig = (): ModelConfig =>
  parseModelConfig({
    architectures: ['LlamaForCausalLM'],
    model_type: 'llama',
    vocab_size: VOCAB,
    hidden_size: 32,
    intermediate_size: 48,
    num_hidden_layers: 2,
    num_attention_heads: 4,
    num_key_value_heads: 2,
    rms_norm_eps: 1e-5,
    rope_theta: 10000,
    max_position_embeddings: 128,
    tie_word_embeddings: false,
  });

const qwen2Config = (): ModelConfig =>
  parseModelConfig({
    architectures: ['Qwen2ForCausalLM'],
    model_type: 'qwen2',
    vocab_size: VOCAB,
    hidden_size: 32,
    intermediate_size: 40,
    num_hidden_layers: 2,
    num_attention_heads: 4,
    num_key_value_heads: 1,
    rms_norm_eps: 1e-6,
    rope_theta: 500000,
    rope_scaling: { rope_type: 'llama3', factor: 8, low_freq_factor: 1, high_freq_factor: 4, original_max_position_embeddings: 16 },
    max_position_embeddings: 128,
    tie_word_embeddings: true,
  });

const biasedLlamaConfig = (): ModelConfig => parseModelConfig({ ...modelConfigToJson(llamaConfig()), attention_bias: true, mlp_bias: true });

const gpt2ActivationConfig = (activation: string) => (): ModelConfig =>
  parseModelConfig({
    architectures: ['GPT2LMHeadModel'],
    model_type: 'gpt2',
    vocab_size: VOCAB,
    n_embd: 32,
    n_layer: 2,
    n_head: 4,
    n_positions: 128,
    activation_function: activation,
  });

const gpt2Config = (): ModelConfig =>
  parseModelConfig({ architectures: ['GPT2LMHeadModel'], model_type: 'gpt2', vocab_size: VOCAB, n_embd: 32, n_layer: 2, n_head: 4, n_positions: 128 });

/**
 * A random model with block weights large enough that greedy decoding wanders instead of repeating one
 * token (with a tied head, a small residual stream would echo the last token's own embedding).
 */
function randomModel(config: ModelConfig, seed: number): DecoderModel {
  const model = DecoderModel.create(config, { seed });
  for (const [name, variable] of model.parameters) {
    if (variable.shape.length === 2) variable.assign(tf.mul(variable, /embed_tokens|wte|wpe/.test(name) ? 4 : 8));
    else if (name.endsWith('.bias')) variable.assign(tf.randomNormal(variable.shape, 0, 0.5, 'float32', seed));
  }
  return model;
}

async function loadExport(name: string): Promise<TransformersCausalLM> {
  return transformers.AutoModelForCausalLM.from_pretrained(name, { local_files_only: true, dtype: 'fp32', device: 'cpu' });
}

function int64(rows: number[][]): TransformersTensor {
  return new transformers.Tensor('int64', BigInt64Array.from(rows.flat().map(BigInt)), [rows.length, rows[0]!.length]);
}

function ourLogits(model: DecoderModel, ids: number[]): Float32Array {
  return tf.tidy(() => model.logits({ ids: tf.tensor2d([ids], [1, ids.length], 'int32') }).dataSync() as Float32Array);
}

function maxDifference(left: ArrayLike<number>, right: ArrayLike<number>): number {
  expect(left.length).toBe(right.length);
  let worst = 0;
  for (let index = 0; index < left.length; index++) worst = Math.max(worst, Math.abs(left[index]! - right[index]!));
  return worst;
}

async function ourGreedy(model: DecoderModel, prompt: number[], steps: number, eos: number): Promise<number[]> {
  const produced: number[] = [];
  for await (const step of generateTokens(model, [prompt], { maxTokens: steps, temperature: 0, repetitionPenalty: 1.5, stopTokenIds: [eos] }))
    produced.push(step.tokens[0]!);
  return produced;
}

/** `make`'s config with heads 16 wide (hidden size 16 per attention head), so the contrib export uses GroupQueryAttention. */
const wideHeads = (make: () => ModelConfig) => (): ModelConfig => {
  const json = modelConfigToJson(make());
  const heads = (json.num_attention_heads ?? json.n_head) as number;
  return parseModelConfig({ ...json, ...(json.n_embd !== undefined ? { n_embd: 16 * heads } : { hidden_size: 16 * heads, head_dim: 16 }) });
};

describe.each([
  ['llama (GQA, RoPE, untied head)', llamaConfig, {}],
  ['qwen2 (q/k/v biases, one key/value head, llama3 RoPE scaling, tied head)', qwen2Config, {}],
  ['gpt2 (tied head)', gpt2Config, {}],
  ['llama-biased (attention_bias on q/k/v/o, mlp_bias)', biasedLlamaConfig, {}],
  ['gpt2-erf (exact GELU)', gpt2ActivationConfig('gelu'), {}],
  ['gpt2-relu (ReLU MLP)', gpt2ActivationConfig('relu'), {}],
  ['llama-contrib (contrib ops: GroupQueryAttention, RotaryEmbedding, SkipSimplifiedLayerNormalization)', wideHeads(llamaConfig), { contribOps: true }],
  ['qwen2-contrib (contrib ops, q/k/v biases, llama3 RoPE scaling)', wideHeads(qwen2Config), { contribOps: true }],
  ['llama-biased-contrib (contrib ops, biases on q/k/v/o and the MLP)', wideHeads(biasedLlamaConfig), { contribOps: true }],
  ['gpt2-contrib (contrib ops: GroupQueryAttention, SkipLayerNormalization, FastGelu)', wideHeads(gpt2Config), { contribOps: true }],
  ['gpt2-erf-contrib (contrib ops: BiasGelu)', wideHeads(gpt2ActivationConfig('gelu')), { contribOps: true }],
])('%s exported for transformers.js', (family, makeConfig, exportOptions: { contribOps?: boolean }) => {
  let model: DecoderModel;
  let exported: TransformersCausalLM;
  const name = family.split(' ')[0]!;
  beforeAll(async () => {
    model = randomModel(makeConfig(), 7);
    const result = await exportOnnx(model, tokenizerFolder, join(root, name), exportOptions);
    expect(result.files).toEqual(['onnx/model.onnx', 'config.json', 'generation_config.json', 'tokenizer.json', 'tokenizer_config.json']);
    // The contrib export really runs its attention as GroupQueryAttention (the test means something).
    expect((await readFile(join(root, name, 'onnx/model.onnx'))).includes('GroupQueryAttention')).toBe(exportOptions.contribOps === true);
    exported = await loadExport(name);
  });
  afterAll(async () => {
    model.dispose();
    await exported.dispose();
  });

  it('gives our logits within 1e-4, batched, with left padding', async () => {
    const first = [5, 17, 250, 3, 99, 42, 7];
    const second = [12, 200, 31, 64];
    const padded = [...new Array<number>(first.length - second.length).fill(0), ...second];
    const mask = [first.map(() => 1), padded.map((_, index) => (index < first.length - second.length ? 0 : 1))];
    const { logits } = await exported({ input_ids: int64([first, padded]), attention_mask: int64(mask) });
    expect(logits.dims).toEqual([2, first.length, VOCAB]);
    const theirs = logits.data as Float32Array;
    const ours = ourLogits(model, first);
    expect(maxDifference(theirs.subarray(0, first.length * VOCAB), ours)).toBeLessThan(1e-4);
    const shift = (first.length - second.length) * VOCAB;
    const secondRow = theirs.subarray(first.length * VOCAB + shift, 2 * first.length * VOCAB);
    expect(maxDifference(secondRow, ourLogits(model, second))).toBeLessThan(1e-4);
    // The check is meaningful: logits vary by far more than the tolerance.
    expect(Math.max(...ours) - Math.min(...ours)).toBeGreaterThan(1);
  });

  it('greedy generation (repetition penalty 1.5) with the KV cache gives the same tokens as ours', async () => {
    const tokenizer = await loadTokenizer(tokenizerFolder);
    for (const prompt of [[5, 17, 250, 3], tokenizer.encode('<extra_id_1>User\nhello number 3')]) {
      const output = await exported.generate({
        input_ids: int64([prompt]),
        attention_mask: int64([prompt.map(() => 1)]),
        max_new_tokens: 16,
        do_sample: false,
        repetition_penalty: 1.5,
      });
      const theirs = Array.from(output.data as BigInt64Array, Number).slice(prompt.length);
      const ours = await ourGreedy(model, prompt, 16, tokenizer.eosTokenId!);
      expect(theirs).toEqual(ours);
      expect(new Set(ours).size).toBeGreaterThan(4);
    }
  });

  it('batched greedy generation of prompts of different lengths (theirs left-padded, ours right-padded) agrees row by row', async () => {
    const prompts = [
      [40, 41, 42, 43],
      [7, 250, 3, 99, 42, 7, 12],
    ];
    const width = 7;
    const padded = prompts.map((prompt) => [...new Array<number>(width - prompt.length).fill(0), ...prompt]);
    const mask = prompts.map((prompt) => Array.from({ length: width }, (_, index) => (index < width - prompt.length ? 0 : 1)));
    const output = await exported.generate({ input_ids: int64(padded), attention_mask: int64(mask), max_new_tokens: 10, do_sample: false, eos_token_id: null });
    const data = Array.from(output.data as BigInt64Array, Number);
    const ours: number[][] = [[], []];
    for await (const step of generateTokens(model, prompts, { maxTokens: 10, temperature: 0 })) step.tokens.forEach((token, row) => ours[row]!.push(token!));
    expect(output.dims).toEqual([2, width + 10]);
    for (const row of [0, 1]) expect(data.slice(row * (width + 10) + width, (row + 1) * (width + 10))).toEqual(ours[row]);
  });

  it('ships a tokenizer that AutoTokenizer loads from the folder, encoding as ours does', async () => {
    const theirs = await transformers.AutoTokenizer.from_pretrained(name, { local_files_only: true });
    const ours = await loadTokenizer(join(root, name));
    const text = '<extra_id_1>User\nhello 😀 fox<extra_id_1>Assistant\n';
    expect(theirs.encode(text)).toEqual(ours.encode(text));
    const generation = JSON.parse(await readFile(join(root, name, 'generation_config.json'), 'utf8')) as Record<string, unknown>;
    expect(generation.eos_token_id).toBe(ours.eosTokenId);
  });
});

describe('export round trips', () => {
  it('a LoRA-merged Llama exports the adapted function; the same folder also loads with DecoderModel.load', async () => {
    const model = randomModel(llamaConfig(), 11);
    model.addLora({ rank: 4, alpha: 8, targetModules: ['q_proj', 'v_proj', 'down_proj'] });
    for (const adapter of model.adapters.values()) adapter.b.assign(tf.randomNormal(adapter.b.shape, 0, 0.5, 'float32', 3));
    const ids = [9, 8, 7, 100, 250, 1];
    const adapted = ourLogits(model, ids);
    await expect(exportOnnx(model, tokenizerFolder, join(root, 'unmerged'))).rejects.toSatisfy(
      (error: unknown) =>
        InvalidOptionError.isInstance(error) && (error as InvalidOptionError).option === 'model' && /mergeLora/.test((error as Error).message),
    );
    model.mergeLora();
    const folder = join(root, 'merged');
    await exportHuggingFace(model, await loadTokenizer(tokenizerFolder), folder);
    await exportOnnx(model, tokenizerFolder, folder);
    const exported = await loadExport('merged');
    const { logits } = await exported({ input_ids: int64([ids]), attention_mask: int64([ids.map(() => 1)]) });
    expect(maxDifference(logits.data as Float32Array, adapted)).toBeLessThan(1e-4);
    await exported.dispose();
    const reloaded = await DecoderModel.load(folder);
    expect(maxDifference(ourLogits(reloaded, ids), ourLogits(model, ids))).toBe(0);
    reloaded.dispose();
    model.dispose();
  });

  it('weights in external data load in transformers.js', async () => {
    const model = randomModel(gpt2Config(), 2);
    const result = await exportOnnx(model, tokenizerFolder, join(root, 'external'), { externalData: true });
    expect(result.files).toContain('onnx/model.onnx_data');
    expect(result.externalBytes).toBeGreaterThan(model.parameterCount() * 4 * 0.9);
    const config = JSON.parse(await readFile(join(root, 'external', 'config.json'), 'utf8')) as Record<string, Record<string, unknown>>;
    expect(config['transformers.js_config']).toEqual({ dtype: 'fp32', use_external_data_format: true });
    const exported = await loadExport('external');
    const ids = [1, 2, 3, 4];
    const { logits } = await exported({ input_ids: int64([ids]), attention_mask: int64([[1, 1, 1, 1]]) });
    expect(maxDifference(logits.data as Float32Array, ourLogits(model, ids))).toBeLessThan(1e-4);
    await exported.dispose();
    model.dispose();
  });
});

describe('bad inputs', () => {
  it('fail with located errors', async () => {
    const small = DecoderModel.create(
      parseModelConfig({ architectures: ['GPT2LMHeadModel'], vocab_size: 200, n_embd: 8, n_layer: 1, n_head: 2, n_positions: 16 }),
    );
    await expect(exportOnnx(small, tokenizerFolder, join(root, 'too-small'))).rejects.toSatisfy(
      (error: unknown) =>
        ModelFormatError.isInstance(error) &&
        (error as ModelFormatError).file === join(tokenizerFolder, 'tokenizer.json') &&
        (error as ModelFormatError).field === 'vocab_size' &&
        /ids up to 299 but the model's embedding has 200 rows/.test((error as Error).message),
    );
    small.dispose();
    const model = DecoderModel.create(gpt2Config());
    await expect(exportOnnx(model, join(root, 'no-such-tokenizer'), join(root, 'x'))).rejects.toSatisfy(
      (error: unknown) => ModelFormatError.isInstance(error) && (error as ModelFormatError).file === join(root, 'no-such-tokenizer'),
    );
    const file = join(root, 'a-file');
    await writeFile(file, 'not a folder');
    await expect(exportOnnx(model, tokenizerFolder, file)).rejects.toSatisfy(
      (error: unknown) => InvalidOptionError.isInstance(error) && (error as InvalidOptionError).file === file && /not a folder/.test((error as Error).message),
    );
    await expect(exportHuggingFace(model, { tokenizerJson: { added_tokens: [] } }, join(root, 'y'))).rejects.toSatisfy(
      (error: unknown) => ModelFormatError.isInstance(error) && (error as ModelFormatError).field === 'model',
    );
    model.dispose();
  });
});
