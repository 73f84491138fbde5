import type { Tokenizer } from '@steerlm/core';
import { DecoderModel, LocalLanguageModel, parseModelConfig } from '@steerlm/sft';

/** UTF-8 bytes as ids 0..255, with no EOS: only a length ends an answer. */
export const byteTokenizer: Tokenizer = {
  specificationVersion: 'v1',
  vocabSize: 256,
  specialTokens: {},
  encode: (text) => [...new TextEncoder().encode(text)],
  decode: (ids) => new TextDecoder().decode(Uint8Array.from(ids)),
  tokenToId: () => undefined,
};

/**
 * Returns a `LocalLanguageModel` named `tiny` over a random one-layer Llama (width 16, 2 heads) of 256 byte
 * ids (or `vocabSize`, for another tokenizer) with `positions` positions, for server and playground tests;
 * the caller disposes `lm.model`.
 */
export function tinyByteLanguageModel(options: { positions: number; seed: number; tokenizer?: Tokenizer; vocabSize?: number }): LocalLanguageModel {
  const config = parseModelConfig({
    architectures: ['LlamaForCausalLM'],
    vocab_size: options.vocabSize ?? 256,
    hidden_size: 16,
    intermediate_size: 32,
    num_hidden_layers: 1,
    num_attention_heads: 2,
    max_position_embeddings: options.positions,
  });
  return new LocalLanguageModel(DecoderModel.create(config, { seed: options.seed }), options.tokenizer ?? byteTokenizer, { modelId: 'tiny' });
}
