import type { ConfigFields } from './config-fields';
import { mergeForWriting, readSharedConfigFields, sharedConfigFieldsToJson } from './config-fields';

/** The Llama-family architectures read (all RMSNorm + RoPE + SwiGLU decoders with grouped-query attention). */
export const LLAMA_ARCHITECTURES = {
  LlamaForCausalLM: 'llama',
  Qwen2ForCausalLM: 'qwen2',
  MistralForCausalLM: 'mistral',
} as const;

/** One Llama-family architecture name, as in `architectures[0]` of config.json. */
export type LlamaArchitecture = keyof typeof LLAMA_ARCHITECTURES;

/** Rotary-embedding scaling: Llama 3.1's frequency-band scheme, or plain linear position interpolation. */
export type RopeScaling =
  | { ropeType: 'llama3'; factor: number; lowFreqFactor: number; highFreqFactor: number; originalMaxPositionEmbeddings: number }
  | { ropeType: 'linear'; factor: number };

/** The `hidden_act` values of the MLP understood: SiLU (Hugging Face's "swish" is the same function). */
export const LLAMA_ACTIVATIONS = ['silu', 'swish'] as const;

/** The rope_scaling types understood. */
export const SUPPORTED_ROPE_SCALING_TYPES = ['llama3', 'linear'] as const;

/** A Llama-family decoder config (Llama 2/3, SmolLM2, Qwen2, Mistral), in camelCase. */
export interface LlamaConfig {
  family: 'llama';
  architecture: LlamaArchitecture;
  modelType: (typeof LLAMA_ARCHITECTURES)[LlamaArchitecture];
  vocabSize: number;
  hiddenSize: number;
  intermediateSize: number;
  numHiddenLayers: number;
  numAttentionHeads: number;
  numKeyValueHeads: number;
  /** Per-head width; hiddenSize / numAttentionHeads unless the config says otherwise. */
  headDim: number;
  rmsNormEps: number;
  ropeTheta: number;
  ropeScaling: RopeScaling | null;
  tieWordEmbeddings: boolean;
  maxPositionEmbeddings: number;
  hiddenAct: string;
  /** Bias on the q/k/v projections (always true for Qwen2, `attention_bias` otherwise). */
  attentionBias: boolean;
  mlpBias: boolean;
  bosTokenId: number | number[] | null;
  eosTokenId: number | number[] | null;
  padTokenId: number | number[] | null;
  torchDtype: string | null;
  /** Every other field of the file, kept verbatim so that writing the config back loses nothing. */
  extra: Record<string, unknown>;
}

function parseRopeScaling(fields: ConfigFields, key: string, value: unknown): RopeScaling | null {
  if (value === undefined || value === null) return null;
  if (typeof value !== 'object' || Array.isArray(value)) throw fields.error(key, `"${key}" must be an object or null`);
  const scaling = value as Record<string, unknown>;
  const type = scaling.rope_type ?? scaling.type;
  if (type === 'default') return null;
  const number = (name: string): number => {
    const entry = scaling[name];
    if (typeof entry !== 'number' || !Number.isFinite(entry) || entry <= 0) {
      throw fields.error(`${key}.${name}`, `"${key}.${name}" must be a positive number, got ${JSON.stringify(entry)}`);
    }
    return entry;
  };
  if (type === 'llama3') {
    return {
      ropeType: 'llama3',
      factor: number('factor'),
      lowFreqFactor: number('low_freq_factor'),
      highFreqFactor: number('high_freq_factor'),
      originalMaxPositionEmbeddings: number('original_max_position_embeddings'),
    };
  }
  if (type === 'linear') return { ropeType: 'linear', factor: number('factor') };
  throw fields.error(
    `${key}.rope_type`,
    `unsupported rope scaling type ${JSON.stringify(type)} (supported: ${SUPPORTED_ROPE_SCALING_TYPES.join(', ')})`,
    'remove rope_scaling to use the model at its original context length',
  );
}

function ropeScalingToJson(scaling: RopeScaling | null): Record<string, unknown> | null {
  if (scaling === null) return null;
  if (scaling.ropeType === 'linear') return { rope_type: 'linear', factor: scaling.factor };
  return {
    rope_type: 'llama3',
    factor: scaling.factor,
    low_freq_factor: scaling.lowFreqFactor,
    high_freq_factor: scaling.highFreqFactor,
    original_max_position_embeddings: scaling.originalMaxPositionEmbeddings,
  };
}

/** Returns the Llama-family config read from `fields` (of a config.json whose architecture is `architecture`). */
export function parseLlamaConfig(fields: ConfigFields, architecture: LlamaArchitecture): LlamaConfig {
  const modelType = LLAMA_ARCHITECTURES[architecture];
  fields.raw('architectures');
  fields.raw('model_type');
  const hiddenSize = fields.positiveInteger('hidden_size');
  const numAttentionHeads = fields.positiveInteger('num_attention_heads');
  const numKeyValueHeads = fields.positiveInteger('num_key_value_heads', numAttentionHeads);
  if (numAttentionHeads % numKeyValueHeads !== 0) {
    throw fields.error('num_key_value_heads', `num_attention_heads (${numAttentionHeads}) must be a multiple of num_key_value_heads (${numKeyValueHeads})`);
  }
  const explicitHeadDim = fields.raw('head_dim');
  let headDim: number;
  if (explicitHeadDim === undefined || explicitHeadDim === null) {
    if (hiddenSize % numAttentionHeads !== 0) {
      throw fields.error('head_dim', `hidden_size (${hiddenSize}) is not divisible by num_attention_heads (${numAttentionHeads}) and no head_dim is given`);
    }
    headDim = hiddenSize / numAttentionHeads;
  } else {
    if (typeof explicitHeadDim !== 'number' || !Number.isSafeInteger(explicitHeadDim) || explicitHeadDim <= 0) {
      throw fields.error('head_dim', `"head_dim" must be a positive integer, got ${JSON.stringify(explicitHeadDim)}`);
    }
    headDim = explicitHeadDim;
  }
  if (headDim % 2 !== 0) throw fields.error('head_dim', `head_dim ${headDim} must be even for rotary embeddings`);
  const hiddenAct = fields.string('hidden_act', 'silu');
  if (!(LLAMA_ACTIVATIONS as readonly string[]).includes(hiddenAct)) {
    throw fields.error(
      'hidden_act',
      `unsupported hidden_act ${JSON.stringify(hiddenAct)} (supported: ${LLAMA_ACTIVATIONS.join(', ')})`,
      'this decoder computes SwiGLU with SiLU only; convert the model or use one whose hidden_act is "silu"',
    );
  }

  // Hugging Face transformers 5 moves rope_theta and the scaling into `rope_parameters`.
  const ropeParameters = fields.raw('rope_parameters');
  let ropeTheta: number;
  let ropeScaling: RopeScaling | null;
  if (typeof ropeParameters === 'object' && ropeParameters !== null && !Array.isArray(ropeParameters)) {
    const parameters = ropeParameters as Record<string, unknown>;
    const theta = parameters.rope_theta;
    if (typeof theta !== 'number' || !(theta > 0))
      throw fields.error('rope_parameters.rope_theta', `"rope_parameters.rope_theta" must be a positive number, got ${JSON.stringify(theta)}`);
    ropeTheta = theta;
    ropeScaling = parseRopeScaling(fields, 'rope_parameters', parameters);
    fields.raw('rope_theta');
    fields.raw('rope_scaling');
  } else {
    ropeTheta = fields.positiveNumber('rope_theta', 10000);
    ropeScaling = parseRopeScaling(fields, 'rope_scaling', fields.raw('rope_scaling'));
  }

  const isQwen2 = modelType === 'qwen2';
  return {
    family: 'llama',
    architecture,
    modelType,
    vocabSize: fields.positiveInteger('vocab_size'),
    hiddenSize,
    intermediateSize: fields.positiveInteger('intermediate_size'),
    numHiddenLayers: fields.positiveInteger('num_hidden_layers'),
    numAttentionHeads,
    numKeyValueHeads,
    headDim,
    rmsNormEps: fields.positiveNumber('rms_norm_eps', 1e-6),
    ropeTheta,
    ropeScaling,
    tieWordEmbeddings: fields.boolean('tie_word_embeddings', false),
    maxPositionEmbeddings: fields.positiveInteger('max_position_embeddings', isQwen2 ? 32768 : modelType === 'mistral' ? 131072 : 2048),
    hiddenAct,
    attentionBias: isQwen2 ? (fields.raw('attention_bias'), true) : fields.boolean('attention_bias', false),
    mlpBias: fields.boolean('mlp_bias', false),
    ...readSharedConfigFields(fields),
    extra: fields.rest(),
  };
}

/** Returns the config.json object for a Llama-family config (snake_case, Hugging Face field names). */
export function llamaConfigToJson(config: LlamaConfig): Record<string, unknown> {
  return mergeForWriting(
    {
      architectures: [config.architecture],
      model_type: config.modelType,
      vocab_size: config.vocabSize,
      hidden_size: config.hiddenSize,
      intermediate_size: config.intermediateSize,
      num_hidden_layers: config.numHiddenLayers,
      num_attention_heads: config.numAttentionHeads,
      num_key_value_heads: config.numKeyValueHeads,
      head_dim: config.headDim,
      rms_norm_eps: config.rmsNormEps,
      rope_theta: config.ropeTheta,
      rope_scaling: ropeScalingToJson(config.ropeScaling),
      tie_word_embeddings: config.tieWordEmbeddings,
      max_position_embeddings: config.maxPositionEmbeddings,
      hidden_act: config.hiddenAct,
      attention_bias: config.modelType === 'qwen2' ? undefined : config.attentionBias,
      mlp_bias: config.modelType === 'llama' ? config.mlpBias : undefined,
      ...sharedConfigFieldsToJson(config),
    },
    config.extra,
  );
}
