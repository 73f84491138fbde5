/**
 * The model shapes the training-step benchmark runs, as Hugging Face config.json objects (GPT-2
 * family: LayerNorm, learned positions, tanh-GELU MLP, tied embeddings) plus the batch shape.
 */

/** One benchmark shape: a GPT-2-family config and the batch it trains on. */
export interface StepShape {
  name: string;
  config: Record<string, unknown>;
  batchSize: number;
  sequenceLength: number;
}

function gpt2Config(vocabulary: number, channels: number, layers: number, heads: number, positions: number): Record<string, unknown> {
  return {
    architectures: ['GPT2LMHeadModel'],
    model_type: 'gpt2',
    vocab_size: vocabulary,
    n_embd: channels,
    n_layer: layers,
    n_head: heads,
    n_positions: positions,
    activation_function: 'gelu_new',
    tie_word_embeddings: true,
  };
}

/** The Llama-family model `steerlm sft train --init small` creates (cli sft-train.ts INIT_SIZES), over its default 2,000-token tokenizer. */
function initSmallConfig(): Record<string, unknown> {
  return {
    architectures: ['LlamaForCausalLM'],
    vocab_size: 2000,
    tie_word_embeddings: true,
    hidden_size: 256,
    intermediate_size: 688,
    num_hidden_layers: 4,
    num_attention_heads: 8,
    num_key_value_heads: 4,
    max_position_embeddings: 1024,
  };
}

/**
 * The shapes by name: tiny (0.88M parameters, 1,024 tokens a step), small (the `--init small` Llama,
 * 3.4M parameters, 8 x 256 tokens a step) and gpt2s (GPT-2 small layers, 8k vocabulary).
 */
export const STEP_SHAPES: Record<string, StepShape> = {
  tiny: { name: 'tiny', config: gpt2Config(512, 128, 4, 4, 128), batchSize: 8, sequenceLength: 128 },
  small: { name: 'small', config: initSmallConfig(), batchSize: 8, sequenceLength: 256 },
  gpt2s: { name: 'gpt2s', config: gpt2Config(8192, 768, 12, 12, 512), batchSize: 8, sequenceLength: 512 },
};

/** Returns the shape called `name`, or undefined. */
export function stepShape(name: string): StepShape | undefined {
  return STEP_SHAPES[name];
}
