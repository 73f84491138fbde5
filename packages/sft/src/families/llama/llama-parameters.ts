import type { LlamaConfig } from '../../io/hf-config/llama-config';
import type { ParameterSpec } from '../../models/parameter-specs';

/** The token embedding [V, C] of a Llama-family decoder (also the output embedding when tied). */
export const LLAMA_TOKEN_EMBEDDING = 'model.embed_tokens.weight';

const std = 0.02;

/** Returns every parameter of a Llama-family decoder, in Hugging Face names and layouts. */
export function llamaParameterSpecs(config: LlamaConfig): ParameterSpec[] {
  const { hiddenSize: C, intermediateSize: F, numAttentionHeads: H, numKeyValueHeads: Hkv, headDim: D, vocabSize: V } = config;
  const residual = std / Math.sqrt(2 * config.numHiddenLayers);
  const specs: ParameterSpec[] = [{ name: LLAMA_TOKEN_EMBEDDING, shape: [V, C], init: { kind: 'normal', std } }];
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

/**
 * Returns the number of parameters of a Llama-family decoder, from the config alone (the sum over
 * `llamaParameterSpecs` without building the list: a config may ask for 1e7 layers).
 */
export function llamaParameterCount(config: LlamaConfig): number {
  const { hiddenSize: C, intermediateSize: F, vocabSize: V, numHiddenLayers: L } = config;
  const head = config.tieWordEmbeddings ? 0 : V * C;
  const q = config.numAttentionHeads * config.headDim;
  const kv = config.numKeyValueHeads * config.headDim;
  let layer = 2 * C + q * C + 2 * kv * C + C * q + 3 * F * C;
  if (config.attentionBias) layer += q + 2 * kv + (config.architecture !== 'Qwen2ForCausalLM' ? C : 0);
  if (config.mlpBias) layer += 2 * F + C;
  return V * C + L * layer + C + head;
}
