/**
 * The forward pass of a decoder on tfjs tensors: the checks and inputs every family shares, then the
 * family's own layers (src/families). Shape legend: B batch, T time (new
 * tokens), L cached keys, C channels, H query heads, Hkv key/value heads, D head width, V vocabulary.
 */
import * as tf from '@tensorflow/tfjs';
import { ShapeError } from '@steerlm/core';
import { familyImplementation, modelFamily } from '../families/registry';
import { buildAttentionMask } from '../kernels/attention';
import type { ModelConfig } from '../io/hf-config';
import type { ForwardInput, ParameterSource } from './forward-pieces';
import type { KeyValueCache } from './key-value-cache';
import * as ops from './model-ops';

export type { ForwardInput, ParameterSource } from './forward-pieces';

function defaultPositions(B: number, T: number, cache: KeyValueCache | undefined): tf.Tensor2D {
  if (cache && cache.nextPositions.length === B) {
    const rows = cache.nextPositions.map((start) => Array.from({ length: T }, (_, t) => start + t));
    return tf.tensor2d(rows, [B, T], 'int32');
  }
  return tf.tile(tf.reshape(tf.range(0, T, 1, 'int32'), [1, T]), [B, 1]) as tf.Tensor2D;
}

/** Returns the final hidden states [B*T, C] of `input` (appending to `input.cache` when given). */
export function decoderHidden(config: ModelConfig, parameters: ParameterSource, input: ForwardInput): tf.Tensor2D {
  const [B, T] = input.ids.shape;
  if (input.ids.dtype !== 'int32') throw new ShapeError(`token ids must be int32, got ${input.ids.dtype}`);
  const positions = input.positions ?? defaultPositions(B, T, input.cache);
  // Positions the model derives itself are checked here; callers passing `positions` check theirs.
  const lastPosition = (input.cache?.nextPositions.length ? Math.max(...input.cache.nextPositions) : 0) + T - 1;
  if (!input.positions && lastPosition >= config.maxPositionEmbeddings) {
    throw new ShapeError(`position ${lastPosition} is beyond the model's ${config.maxPositionEmbeddings} positions (sequence too long)`, {
      field: 'positions',
      hint: 'shorten the prompt, ask for fewer new tokens (--max-tokens on the command line, maxTokens in the API) or truncate the sequence',
    });
  }
  if (input.cache) {
    input.cache.appendMask(input.keyMask ?? (tf.ones([B, T]) as tf.Tensor2D));
    return familyImplementation(config).hidden(config, parameters, input, positions);
  }
  // One attention mask for every layer (the ops keep their own reference for the backward pass).
  const attentionMask =
    input.attentionMask ??
    buildAttentionMask(B, T, { ...(input.keyMask ? { keyMask: input.keyMask } : {}), ...(input.segmentIds ? { segmentIds: input.segmentIds } : {}) });
  try {
    return familyImplementation(config).hidden(config, parameters, { ...input, attentionMask }, positions);
  } finally {
    if (attentionMask !== input.attentionMask) attentionMask.dispose();
  }
}

/** Returns the output-embedding matrix [V, C] (tied to the input embedding when the config says so). */
export function outputEmbedding(config: ModelConfig, parameters: ParameterSource): tf.Tensor2D {
  if (parameters.has('lm_head.weight')) return parameters.get('lm_head.weight') as tf.Tensor2D;
  return parameters.get(modelFamily(config).tokenEmbedding) as tf.Tensor2D;
}

/** Returns logits [B*T, V] of `input`. */
export function decoderLogits(config: ModelConfig, parameters: ParameterSource, input: ForwardInput): tf.Tensor2D {
  return ops.linear(decoderHidden(config, parameters, input), outputEmbedding(config, parameters));
}
