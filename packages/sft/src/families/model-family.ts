import type * as tf from '@tensorflow/tfjs';
import type { GraphContext } from '../export/onnx-decoder-pieces';
import type { ConfigFamily, ModelConfig } from '../io/hf-config/config-families';
import type { ForwardInput, ParameterSource } from '../models/forward-pieces';
import type { ParameterSpec } from '../models/parameter-specs';

/** The key/value cache layout of a decoder: one entry per layer of [B, kvHeads, L, headDim]. */
export interface CacheGeometry {
  layers: number;
  kvHeads: number;
  headDim: number;
}

/**
 * What a decoder family is, as the rest of the code and users see it: its architectures, parameter
 * names and cache layout. Code around the models (loading, training, generation, export) asks the
 * family and never compares `config.family` itself.
 */
export interface ModelFamily<C extends ModelConfig = ModelConfig> {
  /** The value of `config.family`. */
  readonly name: C['family'];
  /** `architectures[0]` values of config.json the family reads, and their `model_type`. */
  readonly architectures: Readonly<Record<string, string>>;
  /** The token embedding [V, C]; the output embedding too when `lm_head.weight` is absent (tied). */
  readonly tokenEmbedding: string;
  /** Every embedding matrix (token, and positions where learned), frozen by `freezeEmbeddings`. */
  readonly embeddings: readonly string[];
  /**
   * The Linear layers LoRA targets by default, or null when the family has none to adapt (GPT-2's
   * layers are Conv1D).
   */
  readonly defaultLoraTargets: readonly string[] | null;
  /** Returns every parameter of a model of `config`, in Hugging Face names and layouts. */
  parameterSpecs(config: C): ParameterSpec[];
  /** Returns the number of parameters of a model of `config` (the sum over `parameterSpecs`), without building them. */
  parameterCount(config: C): number;
  /** Returns the canonical name of a tensor as stored in a checkpoint of this family. */
  canonicalParameterName(name: string): string;
  /** Returns the key/value cache layout of `config`. */
  cacheGeometry(config: C): CacheGeometry;
}

/** A family with its implementation: config.json parsing, the forward pass and the ONNX graph (internal). */
export interface FamilyImplementation<C extends ModelConfig = ModelConfig> extends ModelFamily<C> {
  /** Config parsing and writing. */
  readonly config: ConfigFamily<C>;
  /** Returns the final hidden states [B*T, C] of `input` at `positions` (int32 [B, T]). */
  hidden(config: C, parameters: ParameterSource, input: ForwardInput, positions: tf.Tensor2D): tf.Tensor2D;
  /** Adds the family's layers to an ONNX graph whose inputs are declared; returns the final hidden states [B, T, C]. */
  onnxBody(context: GraphContext, config: C): string;
}
