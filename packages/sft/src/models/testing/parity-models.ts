import * as tf from '@tensorflow/tfjs';
import { parseModelConfig, type ModelConfig } from '../../io/hf-config';
import type { DecoderModel } from '../decoder-model';

/**
 * Small models of both families for engine and backend parity tests: a grouped-query Llama (4 heads over
 * 2 key/value heads, untied embeddings) and a GPT-2, both over the 256 byte ids of `byteTokenizer`.
 */
export const PARITY_CONFIGS: Readonly<Record<string, () => ModelConfig>> = {
  llama: () =>
    parseModelConfig({
      architectures: ['LlamaForCausalLM'],
      vocab_size: 256,
      hidden_size: 24,
      intermediate_size: 40,
      num_hidden_layers: 2,
      num_attention_heads: 4,
      num_key_value_heads: 2,
      max_position_embeddings: 64,
      tie_word_embeddings: false,
    }),
  gpt2: () => parseModelConfig({ architectures: ['GPT2LMHeadModel'], vocab_size: 256, n_embd: 24, n_layer: 2, n_head: 3, n_positions: 64 }),
};

/**
 * The same families with heads 16 wide, so the contrib export runs its attention as GroupQueryAttention
 * (and RotaryEmbedding for Llama): Llama 4 heads over 2 key/value heads, GPT-2 2 heads.
 */
export const CONTRIB_PARITY_CONFIGS: Readonly<Record<string, () => ModelConfig>> = {
  llama: () =>
    parseModelConfig({
      architectures: ['LlamaForCausalLM'],
      vocab_size: 256,
      hidden_size: 64,
      intermediate_size: 96,
      num_hidden_layers: 2,
      num_attention_heads: 4,
      num_key_value_heads: 2,
      max_position_embeddings: 64,
      tie_word_embeddings: false,
    }),
  gpt2: () => parseModelConfig({ architectures: ['GPT2LMHeadModel'], vocab_size: 256, n_embd: 32, n_layer: 2, n_head: 2, n_positions: 64, n_inner: 32 }),
};

/** Prompts of different lengths (one a single repeated id), decoded together in parity tests. */
export const PARITY_PROMPTS: readonly (readonly number[])[] = [
  [5, 17, 33, 2, 90],
  [200, 3],
  [7, 7, 7, 7, 7, 7, 7, 7, 1],
];

/**
 * Scales `model`'s block matrices by 4 (embeddings kept): a random GPT-2 with a tied head otherwise
 * echoes each row's last token, and greedy tokens that never change compare nothing.
 */
export function spreadBlockWeights(model: DecoderModel): DecoderModel {
  for (const [name, variable] of model.parameters) {
    if (variable.shape.length === 2 && !/embed_tokens|wte|wpe|lm_head/.test(name)) variable.assign(tf.mul(variable, 4));
  }
  return model;
}
