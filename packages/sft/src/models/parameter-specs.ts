import type { Gpt2Config, LlamaConfig, ModelConfig } from '../io/hf-config';

/** How a parameter starts when a model is trained from scratch. */
export type ParameterInit = { kind: 'normal'; std: number } | { kind: 'ones' } | { kind: 'zeros' };

/** One named parameter of a decoder, in Hugging Face naming and layout. */
export interface ParameterSpec {
  name: string;
  shape: number[];
  init: ParameterInit;
}

const std = 0.02;

function llamaSpecs(config: LlamaConfig): ParameterSpec[] {
  const { hiddenSize: C, intermediateSize: F, numAttentionHeads: H, numKeyValueHeads: Hkv, headDim: D, vocabSize: V } = config;
  const residual = std / Math.sqrt(2 * config.numHiddenLayers);
  const specs: ParameterSpec[] = [{ name: 'model.embed_tokens.weight', shape: [V, C], init: { kind: 'normal', std } }];
  for (let layer = 0; layer < config.numHiddenLayers; layer++) {
    const prefix = `model.layers.${layer}`;
    specs.push(
      { name: `${prefix}.input_layernorm.weight`, shape: [C], init: { kind: 'ones' } },
      { name: `${prefix}.self_attn.q_proj.weight`, shape: [H * D, C], init: { kind: 'normal', std } },
      { name: `${prefix}.self_attn.k_proj.weight`, shape: [Hkv * D, C], init: { kind: 'normal', std } },
      { name: `${prefix}.self_attn.v_proj.weight`, shape: [Hkv * D, C], init: { kind: 'normal', std } },
    );
    if (config.attentionBias) {
      specs.push(
        { name: `${prefix}.self_attn.q_proj.bias`, shape: [H * D], init: { kind: 'zeros' } },
        { name: `${prefix}.self_attn.k_proj.bias`, shape: [Hkv * D], init: { kind: 'zeros' } },
        { name: `${prefix}.self_attn.v_proj.bias`, shape: [Hkv * D], init: { kind: 'zeros' } },
      );
    }
    specs.push({ name: `${prefix}.self_attn.o_proj.weight`, shape: [C, H * D], init: { kind: 'normal', std: residual } });
    // Hugging Face's Llama and Mistral put `attention_bias` on o_proj too; Qwen2 biases q/k/v only.
    if (config.attentionBias && config.architecture !== 'Qwen2ForCausalLM') {
      specs.push({ name: `${prefix}.self_attn.o_proj.bias`, shape: [C], init: { kind: 'zeros' } });
    }
    specs.push(
      { name: `${prefix}.post_attention_layernorm.weight`, shape: [C], init: { kind: 'ones' } },
      { name: `${prefix}.mlp.gate_proj.weight`, shape: [F, C], init: { kind: 'normal', std } },
      { name: `${prefix}.mlp.up_proj.weight`, shape: [F, C], init: { kind: 'normal', std } },
      { name: `${prefix}.mlp.down_proj.weight`, shape: [C, F], init: { kind: 'normal', std: residual } },
    );
    if (config.mlpBias) {
      specs.push(
        { name: `${prefix}.mlp.gate_proj.bias`, shape: [F], init: { kind: 'zeros' } },
        { name: `${prefix}.mlp.up_proj.bias`, shape: [F], init: { kind: 'zeros' } },
        { name: `${prefix}.mlp.down_proj.bias`, shape: [C], init: { kind: 'zeros' } },
      );
    }
  }
  specs.push({ name: 'model.norm.weight', shape: [C], init: { kind: 'ones' } });
  if (!config.tieWordEmbeddings) specs.push({ name: 'lm_head.weight', shape: [V, C], init: { kind: 'normal', std } });
  return specs;
}

function gpt2Specs(config: Gpt2Config): ParameterSpec[] {
  const { hiddenSize: C, intermediateSize: F, vocabSize: V, maxPositionEmbeddings: P } = config;
  const residual = std / Math.sqrt(2 * config.numHiddenLayers);
  const specs: ParameterSpec[] = [
    { name: 'transformer.wte.weight', shape: [V, C], init: { kind: 'normal', std } },
    { name: 'transformer.wpe.weight', shape: [P, C], init: { kind: 'normal', std: 0.01 } },
  ];
  for (let layer = 0; layer < config.numHiddenLayers; layer++) {
    const prefix = `transformer.h.${layer}`;
    specs.push(
      { name: `${prefix}.ln_1.weight`, shape: [C], init: { kind: 'ones' } },
      { name: `${prefix}.ln_1.bias`, shape: [C], init: { kind: 'zeros' } },
      { name: `${prefix}.attn.c_attn.weight`, shape: [C, 3 * C], init: { kind: 'normal', std } },
      { name: `${prefix}.attn.c_attn.bias`, shape: [3 * C], init: { kind: 'zeros' } },
      { name: `${prefix}.attn.c_proj.weight`, shape: [C, C], init: { kind: 'normal', std: residual } },
      { name: `${prefix}.attn.c_proj.bias`, shape: [C], init: { kind: 'zeros' } },
      { name: `${prefix}.ln_2.weight`, shape: [C], init: { kind: 'ones' } },
      { name: `${prefix}.ln_2.bias`, shape: [C], init: { kind: 'zeros' } },
      { name: `${prefix}.mlp.c_fc.weight`, shape: [C, F], init: { kind: 'normal', std } },
      { name: `${prefix}.mlp.c_fc.bias`, shape: [F], init: { kind: 'zeros' } },
      { name: `${prefix}.mlp.c_proj.weight`, shape: [F, C], init: { kind: 'normal', std: residual } },
      { name: `${prefix}.mlp.c_proj.bias`, shape: [C], init: { kind: 'zeros' } },
    );
  }
  specs.push({ name: 'transformer.ln_f.weight', shape: [C], init: { kind: 'ones' } }, { name: 'transformer.ln_f.bias', shape: [C], init: { kind: 'zeros' } });
  if (!config.tieWordEmbeddings) specs.push({ name: 'lm_head.weight', shape: [V, C], init: { kind: 'normal', std } });
  return specs;
}

/** Returns every parameter a decoder of `config` has, in Hugging Face names and layouts. */
export function parameterSpecs(config: ModelConfig): ParameterSpec[] {
  return config.family === 'llama' ? llamaSpecs(config) : gpt2Specs(config);
}

/**
 * Returns the canonical name of a tensor as found in a checkpoint: GPT-2 checkpoints written by the
 * original code have no `transformer.` prefix (`h.0.attn.c_attn.weight`).
 */
export function canonicalParameterName(config: ModelConfig, name: string): string {
  if (config.family === 'gpt2' && !name.startsWith('transformer.') && name !== 'lm_head.weight') return `transformer.${name}`;
  return name;
}

/** Returns whether a checkpoint tensor is a buffer that is not a parameter (GPT-2's causal mask). */
export function isIgnoredCheckpointTensor(name: string): boolean {
  return /\.attn\.(masked_)?bias$/.test(name) || name.endsWith('.rotary_emb.inv_freq');
}
