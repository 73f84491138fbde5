import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ModelFormatError } from '@steerlm/core';
import { parseGenerationConfig, readGenerationConfig, writeGenerationConfig } from './generation-config';
import { modelConfigToJson, parseModelConfig, readModelConfig, writeModelConfig } from './model-config';

const smolLm2 = {
  architectures: ['LlamaForCausalLM'],
  attention_bias: false,
  attention_dropout: 0.0,
  bos_token_id: 0,
  eos_token_id: 0,
  hidden_act: 'silu',
  hidden_size: 576,
  initializer_range: 0.041666666666666664,
  intermediate_size: 1536,
  is_llama_config: true,
  max_position_embeddings: 8192,
  model_type: 'llama',
  num_attention_heads: 9,
  num_hidden_layers: 30,
  num_key_value_heads: 3,
  pretraining_tp: 1,
  rms_norm_eps: 1e-5,
  rope_interleaved: false,
  rope_scaling: null,
  rope_theta: 100000,
  tie_word_embeddings: true,
  torch_dtype: 'bfloat16',
  transformers_version: '4.40.1',
  use_cache: true,
  vocab_size: 49152,
};

const llama32 = {
  architectures: ['LlamaForCausalLM'],
  bos_token_id: 128000,
  eos_token_id: 128001,
  head_dim: 64,
  hidden_size: 2048,
  intermediate_size: 8192,
  max_position_embeddings: 131072,
  model_type: 'llama',
  num_attention_heads: 32,
  num_hidden_layers: 16,
  num_key_value_heads: 8,
  rms_norm_eps: 1e-5,
  rope_scaling: { factor: 32.0, high_freq_factor: 4.0, low_freq_factor: 1.0, original_max_position_embeddings: 8192, rope_type: 'llama3' },
  rope_theta: 500000.0,
  tie_word_embeddings: true,
  vocab_size: 128256,
};

const qwen25 = {
  architectures: ['Qwen2ForCausalLM'],
  hidden_size: 896,
  intermediate_size: 4864,
  max_position_embeddings: 32768,
  model_type: 'qwen2',
  num_attention_heads: 14,
  num_hidden_layers: 24,
  num_key_value_heads: 2,
  rms_norm_eps: 1e-6,
  rope_theta: 1000000.0,
  sliding_window: 32768,
  tie_word_embeddings: true,
  use_sliding_window: false,
  vocab_size: 151936,
  eos_token_id: 151643,
};

const gpt2 = {
  activation_function: 'gelu_new',
  architectures: ['GPT2LMHeadModel'],
  attn_pdrop: 0.1,
  bos_token_id: 50256,
  embd_pdrop: 0.1,
  eos_token_id: 50256,
  initializer_range: 0.02,
  layer_norm_epsilon: 1e-5,
  model_type: 'gpt2',
  n_ctx: 1024,
  n_embd: 768,
  n_head: 12,
  n_layer: 12,
  n_positions: 1024,
  resid_pdrop: 0.1,
  summary_activation: null,
  vocab_size: 50257,
};

function errorOf(run: () => unknown): ModelFormatError {
  try {
    run();
  } catch (error) {
    expect(ModelFormatError.isInstance(error)).toBe(true);
    return error as ModelFormatError;
  }
  throw new Error('expected a ModelFormatError');
}

const folder = await mkdtemp(join(tmpdir(), 'steerlm-config-'));
afterAll(() => rm(folder, { recursive: true, force: true }));

describe('parseModelConfig', () => {
  it('reads SmolLM2 (Llama, GQA, tied embeddings)', () => {
    const config = parseModelConfig(smolLm2);
    expect(config).toMatchObject({
      family: 'llama',
      architecture: 'LlamaForCausalLM',
      hiddenSize: 576,
      numKeyValueHeads: 3,
      headDim: 64,
      rmsNormEps: 1e-5,
      ropeTheta: 100000,
      ropeScaling: null,
      tieWordEmbeddings: true,
      attentionBias: false,
      torchDtype: 'bfloat16',
    });
    expect(config.extra).toEqual({
      attention_dropout: 0,
      initializer_range: 0.041666666666666664,
      is_llama_config: true,
      pretraining_tp: 1,
      rope_interleaved: false,
      transformers_version: '4.40.1',
      use_cache: true,
    });
  });

  it('reads Llama 3.2 rope scaling and Qwen2 biases', () => {
    const llama = parseModelConfig(llama32);
    expect(llama.family === 'llama' && llama.ropeScaling).toEqual({
      ropeType: 'llama3',
      factor: 32,
      lowFreqFactor: 1,
      highFreqFactor: 4,
      originalMaxPositionEmbeddings: 8192,
    });
    const qwen = parseModelConfig(qwen25);
    expect(qwen).toMatchObject({ family: 'llama', modelType: 'qwen2', attentionBias: true, headDim: 64, numKeyValueHeads: 2, eosTokenId: 151643 });
  });

  it('reads transformers-5 rope_parameters', () => {
    const { rope_theta: _theta, rope_scaling: _scaling, ...rest } = llama32;
    const config = parseModelConfig({
      ...rest,
      rope_parameters: { rope_type: 'llama3', rope_theta: 500000, factor: 32, low_freq_factor: 1, high_freq_factor: 4, original_max_position_embeddings: 8192 },
    });
    expect(config).toMatchObject({ ropeTheta: 500000, ropeScaling: { ropeType: 'llama3', factor: 32 } });
  });

  it('reads GPT-2 with its defaults', () => {
    expect(parseModelConfig(gpt2)).toMatchObject({
      family: 'gpt2',
      hiddenSize: 768,
      numHiddenLayers: 12,
      numAttentionHeads: 12,
      intermediateSize: 3072,
      maxPositionEmbeddings: 1024,
      layerNormEps: 1e-5,
      activationFunction: 'gelu_new',
      tieWordEmbeddings: true,
      extra: { attn_pdrop: 0.1, embd_pdrop: 0.1, initializer_range: 0.02, n_ctx: 1024, resid_pdrop: 0.1, summary_activation: null },
    });
  });

  it('round-trips every family: parse(toJson(parse(x))) equals parse(x), extras kept', () => {
    for (const source of [smolLm2, llama32, qwen25, gpt2]) {
      const config = parseModelConfig(source);
      const written = modelConfigToJson(config);
      expect(parseModelConfig(JSON.parse(JSON.stringify(written)))).toEqual(config);
      for (const [key, value] of Object.entries(source)) if (value !== null) expect(written[key]).toEqual(value);
    }
  });

  it('names the field and the supported list for unknown architectures and bad values', () => {
    const unknown = errorOf(() => parseModelConfig({ ...smolLm2, architectures: ['FalconForCausalLM'] }, 'config.json'));
    expect(unknown.field).toBe('architectures');
    expect(unknown.file).toBe('config.json');
    expect(unknown.message).toMatch(
      /unsupported architecture "FalconForCausalLM" \(supported: LlamaForCausalLM \(llama\), Qwen2ForCausalLM \(qwen2\), MistralForCausalLM \(mistral\), GPT2LMHeadModel \(gpt2\)\)/,
    );
    expect(errorOf(() => parseModelConfig({ model_type: 'bert' })).field).toBe('model_type');
    expect(errorOf(() => parseModelConfig({ ...smolLm2, hidden_size: undefined })).message).toMatch(/missing required field "hidden_size"/);
    expect(errorOf(() => parseModelConfig({ ...smolLm2, num_key_value_heads: 4 })).field).toBe('num_key_value_heads');
    expect(errorOf(() => parseModelConfig({ ...smolLm2, rms_norm_eps: -1 })).field).toBe('rms_norm_eps');
    expect(errorOf(() => parseModelConfig({ ...llama32, rope_scaling: { rope_type: 'yarn', factor: 4 } })).field).toBe('rope_scaling.rope_type');
    expect(errorOf(() => parseModelConfig({ ...gpt2, activation_function: 'swish' })).message).toMatch(/supported: gelu_new/);
    expect(errorOf(() => parseModelConfig({ ...gpt2, model_type: 'llama' })).field).toBe('model_type');
    const gelu = errorOf(() => parseModelConfig({ ...smolLm2, hidden_act: 'gelu' }, 'config.json'));
    expect(gelu.field).toBe('hidden_act');
    expect(gelu.message).toMatch(/unsupported hidden_act "gelu" \(supported: silu, swish\)/);
    expect(parseModelConfig({ ...smolLm2, hidden_act: 'swish' }).family).toBe('llama');
    expect(errorOf(() => parseModelConfig([1, 2])).message).toMatch(/must be a JSON object/);
  });
});

describe('config files', () => {
  it('writes config.json and reads it back from the folder', async () => {
    const config = parseModelConfig(qwen25);
    const file = await writeModelConfig(folder, config);
    expect(file).toBe(join(folder, 'config.json'));
    expect(await readModelConfig(folder)).toEqual(config);
    await writeFile(join(folder, 'broken.json'), '{"architectures": [');
    await expect(readModelConfig(join(folder, 'broken.json'))).rejects.toThrow(/config.json is not valid JSON/);
  });

  it('reads and writes generation_config.json', async () => {
    const source = { bos_token_id: 1, eos_token_id: [2, 7], do_sample: true, temperature: 0.6, top_p: 0.9, transformers_version: '4.45.0' };
    const config = parseGenerationConfig(source);
    expect(config).toMatchObject({
      bosTokenId: 1,
      eosTokenIds: [2, 7],
      doSample: true,
      temperature: 0.6,
      topP: 0.9,
      extra: { transformers_version: '4.45.0' },
    });
    await writeGenerationConfig(folder, config);
    expect(JSON.parse(await readFile(join(folder, 'generation_config.json'), 'utf8'))).toEqual(source);
    expect(await readGenerationConfig(folder)).toEqual(config);
    expect(parseGenerationConfig({ eos_token_id: 0 }).eosTokenIds).toEqual([0]);
    expect(errorOf(() => parseGenerationConfig({ top_p: 2 }, 'generation_config.json')).field).toBe('top_p');
  });
});
