/**
 * The forward pass of both decoder families on tfjs tensors. Shape legend: B batch, T time (new
 * tokens), L cached keys, C channels, H query heads, Hkv key/value heads, D head width, V vocabulary.
 */
import * as tf from '@tensorflow/tfjs';
import { ShapeError } from '@steerlm/core';
import type { Gpt2Config, LlamaConfig, ModelConfig } from '../io/hf-config';
import { repeatKeyValueHeads } from '../kernels/attention/attention.composed';
import { ropeInverseFrequencies } from '../kernels/rope/rope-frequencies';
import type { KeyValueCache } from './key-value-cache';
import * as ops from './model-ops';

/** Looks up a parameter (base weight, or with LoRA applied) by Hugging Face name. */
export interface ParameterSource {
  get(name: string): tf.Tensor;
  has(name: string): boolean;
  /** x · W^T (+ b) for a Linear layer, applying any adapter attached to it. */
  linear(name: string, x: tf.Tensor2D): tf.Tensor2D;
}

export interface ForwardInput {
  /** Token ids, int32 [B, T]. */
  ids: tf.Tensor2D;
  /** Positions, int32 [B, T] (default 0..T-1, or continuing the cache). */
  positions?: tf.Tensor2D;
  /** 1 for real tokens, 0 for padding, [B, T]. */
  keyMask?: tf.Tensor2D;
  /** Packed-record ids [B, T]: attention never crosses records. */
  segmentIds?: tf.Tensor2D;
  /** When given, keys/values are appended to it and attention reads the whole cache. */
  cache?: KeyValueCache;
}

function defaultPositions(B: number, T: number, cache: KeyValueCache | undefined): tf.Tensor2D {
  if (cache && cache.nextPositions.length === B) {
    const rows = cache.nextPositions.map((start) => Array.from({ length: T }, (_, t) => start + t));
    return tf.tensor2d(rows, [B, T], 'int32');
  }
  return tf.tile(tf.reshape(tf.range(0, T, 1, 'int32'), [1, T]), [B, 1]) as tf.Tensor2D;
}

function toHeads(x: tf.Tensor2D, B: number, T: number, heads: number, D: number): tf.Tensor4D {
  return tf.transpose(tf.reshape(x, [B, T, heads, D]), [0, 2, 1, 3]);
}

function fromHeads(x: tf.Tensor4D): tf.Tensor2D {
  const [B, H, T, D] = x.shape;
  return tf.reshape(tf.transpose(x, [0, 2, 1, 3]), [B * T, H * D]);
}

/** Attention of new queries over cached + new keys: causal within the new block, all valid past keys. */
function cachedAttention(q: tf.Tensor4D, keys: tf.Tensor4D, values: tf.Tensor4D, keyMask: tf.Tensor2D, past: number): tf.Tensor4D {
  const [B, H, T, D] = q.shape;
  const L = keys.shape[2];
  const groups = H / keys.shape[1];
  const expand = (t: tf.Tensor4D) => repeatKeyValueHeads(t, groups);
  const scores = tf.mul(tf.matMul(q, expand(keys), false, true), 1 / Math.sqrt(D));
  const causal = tf.tensor2d(
    Array.from({ length: T * L }, (_, index) => (index % L <= past + Math.floor(index / L) ? 1 : 0)),
    [T, L],
  );
  const allowed = tf.mul(tf.reshape(causal, [1, 1, T, L]), tf.reshape(keyMask, [B, 1, 1, L]));
  const masked = tf.add(scores, tf.mul(tf.sub(1, allowed), -1e9));
  return tf.matMul(tf.softmax(masked), expand(values)) as tf.Tensor4D;
}

function attend(
  layer: number,
  q: tf.Tensor4D,
  k: tf.Tensor4D,
  v: tf.Tensor4D,
  input: ForwardInput,
): tf.Tensor4D {
  const cache = input.cache;
  if (!cache) {
    return ops.causalAttention(q, k, v, {
      ...(input.keyMask ? { keyMask: input.keyMask } : {}),
      ...(input.segmentIds ? { segmentIds: input.segmentIds } : {}),
    });
  }
  const past = cache.layers[layer]?.keys.shape[2] ?? 0;
  cache.append(layer, k, v);
  const entry = cache.layers[layer]!;
  return cachedAttention(q, entry.keys, entry.values, cache.keyMask!, past);
}

function applyRope(config: LlamaConfig, x: tf.Tensor4D, positions: tf.Tensor2D): tf.Tensor4D {
  const scaling = config.ropeScaling;
  if (scaling?.ropeType === 'linear') {
    return ops.ropeLinearScaled(x, positions, ropeInverseFrequencies(config.headDim, config.ropeTheta), scaling.factor);
  }
  return ops.rope(x, { theta: config.ropeTheta, positions, ...(scaling?.ropeType === 'llama3' ? { scaling } : {}) });
}

function llamaHidden(config: LlamaConfig, parameters: ParameterSource, input: ForwardInput, positions: tf.Tensor2D): tf.Tensor2D {
  const [B, T] = input.ids.shape;
  const { numAttentionHeads: H, numKeyValueHeads: Hkv, headDim: D, rmsNormEps: eps } = config;
  let hidden = ops.embed(parameters.get('model.embed_tokens.weight') as tf.Tensor2D, tf.reshape(input.ids, [B * T]) as tf.Tensor1D);
  for (let layer = 0; layer < config.numHiddenLayers; layer++) {
    const prefix = `model.layers.${layer}`;
    const x = ops.rmsNorm(hidden, parameters.get(`${prefix}.input_layernorm.weight`) as tf.Tensor1D, eps);
    const q = applyRope(config, toHeads(parameters.linear(`${prefix}.self_attn.q_proj`, x), B, T, H, D), positions);
    const k = applyRope(config, toHeads(parameters.linear(`${prefix}.self_attn.k_proj`, x), B, T, Hkv, D), positions);
    const v = toHeads(parameters.linear(`${prefix}.self_attn.v_proj`, x), B, T, Hkv, D);
    const attended = fromHeads(attend(layer, q, k, v, input));
    hidden = tf.add(hidden, parameters.linear(`${prefix}.self_attn.o_proj`, attended));
    const y = ops.rmsNorm(hidden, parameters.get(`${prefix}.post_attention_layernorm.weight`) as tf.Tensor1D, eps);
    const gated = ops.swiglu(parameters.linear(`${prefix}.mlp.gate_proj`, y), parameters.linear(`${prefix}.mlp.up_proj`, y));
    hidden = tf.add(hidden, parameters.linear(`${prefix}.mlp.down_proj`, gated));
  }
  return ops.rmsNorm(hidden, parameters.get('model.norm.weight') as tf.Tensor1D, eps);
}

/** Returns GPT-2 attention [B*T, C] of the packed projection qkv [B*T, 3C]: read in place on the host backends, else split into heads. */
function gpt2Attention(layer: number, qkv: tf.Tensor2D, B: number, T: number, H: number, D: number, input: ForwardInput): tf.Tensor2D {
  if (!input.cache && ops.packedAttentionOnHost()) {
    return ops.causalAttentionPacked(qkv, B, T, H, {
      ...(input.keyMask ? { keyMask: input.keyMask } : {}),
      ...(input.segmentIds ? { segmentIds: input.segmentIds } : {}),
    });
  }
  const [q, k, v] = tf.split(qkv, 3, 1) as [tf.Tensor2D, tf.Tensor2D, tf.Tensor2D];
  return fromHeads(attend(layer, toHeads(q, B, T, H, D), toHeads(k, B, T, H, D), toHeads(v, B, T, H, D), input));
}

function conv1d(parameters: ParameterSource, name: string, x: tf.Tensor2D): tf.Tensor2D {
  return ops.conv1d(x, parameters.get(`${name}.weight`) as tf.Tensor2D, parameters.get(`${name}.bias`) as tf.Tensor1D);
}

function gpt2Hidden(config: Gpt2Config, parameters: ParameterSource, input: ForwardInput, positions: tf.Tensor2D): tf.Tensor2D {
  const [B, T] = input.ids.shape;
  const { numAttentionHeads: H, hiddenSize: C, layerNormEps: eps } = config;
  const D = C / H;
  const flatPositions = tf.reshape(positions, [B * T]) as tf.Tensor1D;
  let hidden = tf.add(
    ops.embed(parameters.get('transformer.wte.weight') as tf.Tensor2D, tf.reshape(input.ids, [B * T]) as tf.Tensor1D),
    ops.embed(parameters.get('transformer.wpe.weight') as tf.Tensor2D, flatPositions),
  ) as tf.Tensor2D;
  const norm = (name: string, x: tf.Tensor2D) =>
    ops.layerNorm(x, parameters.get(`${name}.weight`) as tf.Tensor1D, parameters.get(`${name}.bias`) as tf.Tensor1D, eps);
  for (let layer = 0; layer < config.numHiddenLayers; layer++) {
    const prefix = `transformer.h.${layer}`;
    const qkv = conv1d(parameters, `${prefix}.attn.c_attn`, norm(`${prefix}.ln_1`, hidden));
    const attended = gpt2Attention(layer, qkv, B, T, H, D, input);
    hidden = tf.add(hidden, conv1d(parameters, `${prefix}.attn.c_proj`, attended));
    const activated = ops.gpt2Activation(conv1d(parameters, `${prefix}.mlp.c_fc`, norm(`${prefix}.ln_2`, hidden)), config.activationFunction);
    hidden = tf.add(hidden, conv1d(parameters, `${prefix}.mlp.c_proj`, activated));
  }
  return norm('transformer.ln_f', hidden);
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
  }
  return config.family === 'llama' ? llamaHidden(config, parameters, input, positions) : gpt2Hidden(config, parameters, input, positions);
}

/** Returns the output-embedding matrix [V, C] (tied to the input embedding when the config says so). */
export function outputEmbedding(config: ModelConfig, parameters: ParameterSource): tf.Tensor2D {
  if (parameters.has('lm_head.weight')) return parameters.get('lm_head.weight') as tf.Tensor2D;
  return parameters.get(config.family === 'llama' ? 'model.embed_tokens.weight' : 'transformer.wte.weight') as tf.Tensor2D;
}

/** Returns logits [B*T, V] of `input`. */
export function decoderLogits(config: ModelConfig, parameters: ParameterSource, input: ForwardInput): tf.Tensor2D {
  return ops.linear(decoderHidden(config, parameters, input), outputEmbedding(config, parameters));
}
