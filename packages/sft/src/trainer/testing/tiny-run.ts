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

/** A tiny Llama-family model over the char tokenizer's 260 ids. */
export function tinyModel(seed = 0): DecoderModel {
  return DecoderModel.create(
    parseModelConfig({
      architectures: ['LlamaForCausalLM'],
      vocab_size: 260,
      hidden_size: 32,
      intermediate_size: 64,
      num_hidden_layers: 2,
      num_attention_heads: 4,
      num_key_value_heads: 2,
      max_position_embeddings: 256,
      tie_word_embeddings: true,
    }),
    { seed },
  );
}
