import { describe, expect, it } from 'vitest';
import { CONFIG_FAMILIES, MODEL_FAMILY_NAMES, parseModelConfig, SUPPORTED_ARCHITECTURES, type ModelConfig } from '../io/hf-config';
import { FAMILY_IMPLEMENTATIONS as MODEL_FAMILIES, modelFamily } from './registry';

const llama = parseModelConfig({
  architectures: ['LlamaForCausalLM'],
  vocab_size: 11,
  hidden_size: 8,
  intermediate_size: 16,
  num_hidden_layers: 2,
  num_attention_heads: 4,
  num_key_value_heads: 2,
  max_position_embeddings: 32,
  tie_word_embeddings: true,
});
const gpt2 = parseModelConfig({
  architectures: ['GPT2LMHeadModel'],
  vocab_size: 11,
  n_embd: 8,
  n_layer: 3,
  n_head: 2,
  n_positions: 32,
  tie_word_embeddings: false,
});

describe('the model family registry', () => {
  it('has one entry per config family, each naming itself', () => {
    expect(Object.keys(MODEL_FAMILIES).sort()).toEqual([...MODEL_FAMILY_NAMES].sort());
    expect(MODEL_FAMILY_NAMES.sort()).toEqual(['gpt2', 'llama']);
    for (const name of MODEL_FAMILY_NAMES) {
      expect(MODEL_FAMILIES[name].name).toBe(name);
      expect(MODEL_FAMILIES[name].config).toBe(CONFIG_FAMILIES[name]);
      expect(MODEL_FAMILIES[name].architectures).toBe(CONFIG_FAMILIES[name].architectures);
    }
  });

  it('reads every supported architecture through exactly one family', () => {
    for (const architecture of Object.keys(SUPPORTED_ARCHITECTURES)) {
      const owners = MODEL_FAMILY_NAMES.filter((name) => Object.hasOwn(CONFIG_FAMILIES[name].architectures, architecture));
      expect(owners, architecture).toHaveLength(1);
    }
    expect(Object.keys(SUPPORTED_ARCHITECTURES).sort()).toEqual(['GPT2LMHeadModel', 'LlamaForCausalLM', 'MistralForCausalLM', 'Qwen2ForCausalLM']);
  });

  it('returns the family of a config, whose names are parameters of that config', () => {
    for (const config of [llama, gpt2]) {
      const family = modelFamily(config);
      expect(family.name).toBe(config.family);
      const names = new Set(family.parameterSpecs(config).map((spec) => spec.name));
      expect(names.has(family.tokenEmbedding)).toBe(true);
      for (const embedding of family.embeddings) expect(names.has(embedding), embedding).toBe(true);
    }
    expect(modelFamily(llama).tokenEmbedding).toBe('model.embed_tokens.weight');
    expect(modelFamily(gpt2).embeddings).toEqual(['transformer.wte.weight', 'transformer.wpe.weight']);
  });

  it('counts parameters from the config exactly as the sum over its parameter specs', () => {
    const qwen = parseModelConfig({
      architectures: ['Qwen2ForCausalLM'],
      vocab_size: 13,
      hidden_size: 8,
      intermediate_size: 12,
      num_hidden_layers: 2,
      num_attention_heads: 4,
      num_key_value_heads: 2,
      max_position_embeddings: 16,
    });
    const biased = parseModelConfig({
      architectures: ['LlamaForCausalLM'],
      vocab_size: 13,
      hidden_size: 8,
      intermediate_size: 12,
      num_hidden_layers: 3,
      num_attention_heads: 2,
      num_key_value_heads: 1,
      max_position_embeddings: 16,
      attention_bias: true,
      mlp_bias: true,
      tie_word_embeddings: false,
    });
    for (const config of [llama, gpt2, qwen, biased]) {
      const family = modelFamily(config);
      const sum = family.parameterSpecs(config).reduce((total, spec) => total + spec.shape.reduce((product, axis) => product * axis, 1), 0);
      expect(family.parameterCount(config), config.architecture).toBe(sum);
    }
  });

  it('gives each family its cache layout and checkpoint names', () => {
    expect(modelFamily(llama).cacheGeometry(llama)).toEqual({ layers: 2, kvHeads: 2, headDim: 2 });
    expect(modelFamily(gpt2).cacheGeometry(gpt2)).toEqual({ layers: 3, kvHeads: 2, headDim: 4 });
    expect(modelFamily(gpt2).canonicalParameterName('h.0.attn.c_attn.weight')).toBe('transformer.h.0.attn.c_attn.weight');
    expect(modelFamily(gpt2).canonicalParameterName('lm_head.weight')).toBe('lm_head.weight');
    expect(modelFamily(llama).canonicalParameterName('model.norm.weight')).toBe('model.norm.weight');
    expect(modelFamily(llama).defaultLoraTargets).toEqual(['q_proj', 'v_proj']);
    expect(modelFamily(gpt2).defaultLoraTargets).toBeNull();
  });

  it('refuses a family it does not know instead of treating it as another one', () => {
    const mamba = { ...gpt2, family: 'mamba' } as unknown as ModelConfig;
    expect(() => modelFamily(mamba)).toThrow(/unknown model family "mamba"/);
  });
});
