import { parseModelConfig, type ModelConfig } from '@steerlm/sft';

/**
 * The random-weight Llama shapes the decode benchmark and the server load test measure: `tiny` (≈1.2M
 * parameters) and `25m` (≈25M, grouped-query heads, an 8192-token vocabulary).
 */
export const DECODE_SHAPES: Readonly<Record<string, () => ModelConfig>> = {
  tiny: () =>
    parseModelConfig({
      architectures: ['LlamaForCausalLM'],
      vocab_size: 512,
      hidden_size: 128,
      intermediate_size: 384,
      num_hidden_layers: 4,
      num_attention_heads: 4,
      num_key_value_heads: 4,
      max_position_embeddings: 512,
      tie_word_embeddings: false,
    }),
  '25m': () =>
    parseModelConfig({
      architectures: ['LlamaForCausalLM'],
      vocab_size: 8192,
      hidden_size: 512,
      intermediate_size: 1376,
      num_hidden_layers: 6,
      num_attention_heads: 8,
      num_key_value_heads: 4,
      max_position_embeddings: 1024,
      tie_word_embeddings: false,
    }),
};
