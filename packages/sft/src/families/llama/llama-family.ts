import { CONFIG_FAMILIES } from '../../io/hf-config/config-families';
import type { LlamaConfig } from '../../io/hf-config/llama-config';
import type { FamilyImplementation } from '../model-family';
import { llamaHidden } from './llama-forward';
import { llamaBody } from './llama-onnx';
import { LLAMA_TOKEN_EMBEDDING, llamaParameterCount, llamaParameterSpecs } from './llama-parameters';

/** Llama-family decoders: Llama 2/3, SmolLM2, Qwen2, Mistral (RMSNorm, RoPE, grouped-query attention, SwiGLU). */
export const llamaFamily: FamilyImplementation<LlamaConfig> = {
  name: 'llama',
  config: CONFIG_FAMILIES.llama,
  architectures: CONFIG_FAMILIES.llama.architectures,
  tokenEmbedding: LLAMA_TOKEN_EMBEDDING,
  embeddings: [LLAMA_TOKEN_EMBEDDING],
  defaultLoraTargets: ['q_proj', 'v_proj'],
  parameterCount: llamaParameterCount,
  parameterSpecs: llamaParameterSpecs,
  canonicalParameterName: (name) => name,
  cacheGeometry: (config) => ({ layers: config.numHiddenLayers, kvHeads: config.numKeyValueHeads, headDim: config.headDim }),
  hidden: llamaHidden,
  onnxBody: llamaBody,
};
