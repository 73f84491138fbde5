import type { ConfigFields } from './config-fields';
import { mergeForWriting, readSharedConfigFields, sharedConfigFieldsToJson } from './config-fields';

/** The GPT-2 architecture read, and its `model_type`. */
export const GPT2_ARCHITECTURES = { GPT2LMHeadModel: 'gpt2' } as const;

/** The activation functions a GPT-2 config may name (Hugging Face ACT2FN keys used by GPT-2 checkpoints). */
export const GPT2_ACTIVATIONS = ['gelu_new', 'gelu', 'gelu_pytorch_tanh', 'gelu_fast', 'relu', 'silu'] as const;

/** One GPT-2 activation function name. */
export type Gpt2Activation = (typeof GPT2_ACTIVATIONS)[number];

/** A GPT-2 decoder config (LayerNorm, learned positions, GELU MLP), in camelCase. */
export interface Gpt2Config {
  family: 'gpt2';
  architecture: 'GPT2LMHeadModel';
  modelType: 'gpt2';
  vocabSize: number;
  /** n_embd */
  hiddenSize: number;
  /** n_layer */
  numHiddenLayers: number;
  /** n_head */
  numAttentionHeads: number;
  /** n_inner, 4 × n_embd when absent */
  intermediateSize: number;
  /** n_positions */
  maxPositionEmbeddings: number;
  /** layer_norm_epsilon */
  layerNormEps: number;
  activationFunction: Gpt2Activation;
  tieWordEmbeddings: boolean;
  bosTokenId: number | number[] | null;
  eosTokenId: number | number[] | null;
  padTokenId: number | number[] | null;
  torchDtype: string | null;
  /** Every other field of the file (dropouts, initializer_range, …), kept verbatim for writing back. */
  extra: Record<string, unknown>;
}

/** Returns the GPT-2 config read from `fields`. */
export function parseGpt2Config(fields: ConfigFields): Gpt2Config {
  fields.raw('architectures');
  fields.raw('model_type');
  const hiddenSize = fields.positiveInteger('n_embd');
  const numAttentionHeads = fields.positiveInteger('n_head');
  if (hiddenSize % numAttentionHeads !== 0) {
    throw fields.error('n_head', `n_embd (${hiddenSize}) must be divisible by n_head (${numAttentionHeads})`);
  }
  const activation = fields.string('activation_function', 'gelu_new');
  if (!(GPT2_ACTIVATIONS as readonly string[]).includes(activation)) {
    throw fields.error('activation_function', `unsupported activation_function ${JSON.stringify(activation)} (supported: ${GPT2_ACTIVATIONS.join(', ')})`);
  }
  return {
    family: 'gpt2',
    architecture: 'GPT2LMHeadModel',
    modelType: 'gpt2',
    vocabSize: fields.positiveInteger('vocab_size'),
    hiddenSize,
    numHiddenLayers: fields.positiveInteger('n_layer'),
    numAttentionHeads,
    intermediateSize: fields.positiveInteger('n_inner', 4 * hiddenSize),
    maxPositionEmbeddings: fields.positiveInteger('n_positions'),
    layerNormEps: fields.positiveNumber('layer_norm_epsilon', 1e-5),
    activationFunction: activation as Gpt2Activation,
    tieWordEmbeddings: fields.boolean('tie_word_embeddings', true),
    ...readSharedConfigFields(fields),
    extra: fields.rest(),
  };
}

/** Returns the config.json object for a GPT-2 config (Hugging Face field names). */
export function gpt2ConfigToJson(config: Gpt2Config): Record<string, unknown> {
  return mergeForWriting(
    {
      architectures: [config.architecture],
      model_type: config.modelType,
      vocab_size: config.vocabSize,
      n_embd: config.hiddenSize,
      n_layer: config.numHiddenLayers,
      n_head: config.numAttentionHeads,
      n_inner: config.intermediateSize,
      n_positions: config.maxPositionEmbeddings,
      layer_norm_epsilon: config.layerNormEps,
      activation_function: config.activationFunction,
      tie_word_embeddings: config.tieWordEmbeddings,
      ...sharedConfigFieldsToJson(config),
    },
    config.extra,
  );
}
