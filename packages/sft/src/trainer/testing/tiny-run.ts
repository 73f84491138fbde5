import type { Conversation } from '@steerlm/core';
import { parseModelConfig } from '../../io/hf-config';
import { DecoderModel } from '../../models';

/** A handful of conditioned conversations for trainer tests. */
export function tinyConversations(count = 6): Conversation[] {
  const answers = ['Paris.', 'Four.', 'Blue!', 'Yes.', 'Seven.', 'Rome.', 'Cats.', 'No.'];
  return Array.from({ length: count }, (_, index) => ({
    system: 'S',
    turns: [
      { role: 'user' as const, text: `Q${index}?` },
      { role: 'assistant' as const, text: answers[index % answers.length]!, attributes: { quality: index % 5, humor: (index * 3) % 5 } },
    ],
  }));
}

/** The Hugging Face config.json of a tiny Llama-family model over the char tokenizer's 260 ids; `overrides` replace fields. */
export function tinyLlamaConfigJson(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    architectures: ['LlamaForCausalLM'],
    vocab_size: 260,
    hidden_size: 32,
    intermediate_size: 64,
    num_hidden_layers: 2,
    num_attention_heads: 4,
    num_key_value_heads: 2,
    max_position_embeddings: 256,
    tie_word_embeddings: true,
    ...overrides,
  };
}

/** A tiny Llama-family model over the char tokenizer's 260 ids. */
export function tinyModel(seed = 0): DecoderModel {
  return DecoderModel.create(parseModelConfig(tinyLlamaConfigJson()), { seed });
}

/**
 * The training run of the checkpoint and resume tests: 8 conversations, 16 steps, a checkpoint every 2 steps,
 * all kept. Spread it into `trainConditionedSFT` options beside the model, tokenizer and output folder.
 */
export function resumableRunOptions() {
  return {
    train: tinyConversations(8),
    batchSize: 2,
    epochs: 4,
    learningRate: 3e-3,
    warmupSteps: 2,
    seed: 5,
    checkpointEvery: 2,
    keepCheckpoints: 100,
  };
}

/** The Hugging Face configs of the tiny GPT-2 and Llama models the whole-run comparisons train (backend parity, mixed precision). */
export const TINY_RUN_FAMILIES = {
  gpt2: { architectures: ['GPT2LMHeadModel'], vocab_size: 260, n_embd: 32, n_layer: 2, n_head: 4, n_positions: 128 },
  llama: tinyLlamaConfigJson({ max_position_embeddings: 128, tie_word_embeddings: false }),
};

/** The data and schedule of the whole-run comparisons: `steps` optimizer steps over 16 conversations (spread into trainConditionedSFT's options). */
export function comparisonRunOptions(steps: number) {
  return { train: tinyConversations(16), epochs: 100, maxSteps: steps, learningRate: 5e-3, warmupSteps: 2, seed: 3 };
}
