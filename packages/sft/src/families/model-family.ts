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
 * Everything that differs between decoder families, in one object per family: how its config.json
 * reads, its parameters, its forward pass and its ONNX graph. The code around (loading, training,
 * generation, export) asks the family and never compares `config.family` itself.
 */
export interface ModelFamily<C extends ModelConfig = ModelConfig> {
  /** The value of `config.family`. */
  readonly name: C['family'];
  /** Architectures read, config parsing and writing. */
  readonly config: ConfigFamily<C>;
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
  /** Returns the canonical name of a tensor as stored in a checkpoint of this family. */
  canonicalParameterName(name: string): string;
  /** Returns the key/value cache layout of `config`. */
  cacheGeometry(config: C): CacheGeometry;
  /** Returns the final hidden states [B*T, C] of `input` at `positions` (int32 [B, T]). */
  hidden(config: C, parameters: ParameterSource, input: ForwardInput, positions: tf.Tensor2D): tf.Tensor2D;
  /** Adds the family's layers to an ONNX graph whose inputs are declared; returns the final hidden states [B, T, C]. */
  onnxBody(context: GraphContext, config: C): string;
}
