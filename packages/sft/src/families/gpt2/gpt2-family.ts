import { CONFIG_FAMILIES } from '../../io/hf-config/config-families';
import type { Gpt2Config } from '../../io/hf-config/gpt2-config';
import type { FamilyImplementation } from '../model-family';
import { gpt2Hidden } from './gpt2-forward';
import { gpt2Body } from './gpt2-onnx';
import { GPT2_POSITION_EMBEDDING, GPT2_TOKEN_EMBEDDING, gpt2CanonicalName, gpt2ParameterCount, gpt2ParameterSpecs } from './gpt2-parameters';

/** GPT-2 decoders (LayerNorm, learned positions, Conv1D layers, GELU MLP). */
export const gpt2Family: FamilyImplementation<Gpt2Config> = {
  name: 'gpt2',
  config: CONFIG_FAMILIES.gpt2,
  architectures: CONFIG_FAMILIES.gpt2.architectures,
  tokenEmbedding: GPT2_TOKEN_EMBEDDING,
  embeddings: [GPT2_TOKEN_EMBEDDING, GPT2_POSITION_EMBEDDING],
  defaultLoraTargets: null,
  parameterCount: gpt2ParameterCount,
  parameterSpecs: gpt2ParameterSpecs,
  canonicalParameterName: gpt2CanonicalName,
  cacheGeometry: (config) => ({ layers: config.numHiddenLayers, kvHeads: config.numAttentionHeads, headDim: config.hiddenSize / config.numAttentionHeads }),
  hidden: gpt2Hidden,
  onnxBody: gpt2Body,
};
