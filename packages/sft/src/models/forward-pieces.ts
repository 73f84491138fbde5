/**
 * Pieces of the decoder forward pass every family shares: the parameter lookup, the inputs, and
 * attention with or without a key/value cache. Shape legend: B batch, T time (new tokens), L cached
 * keys, H query heads, D head width.
 */
import * as tf from '@tensorflow/tfjs';
import { repeatKeyValueHeads } from '../kernels/attention/attention.composed';
import type { CausalAttentionOptions } from '../kernels/attention';
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
  /**
   * The [2, B, T] attention mask (buildAttentionMask of keyMask and segmentIds), built once per
   * forward pass by decoderHidden and shared by every layer; built per call when absent.
   */
  attentionMask?: tf.Tensor3D;
}

/** Returns the mask options of `input` for the attention ops: the shared mask when built, else keyMask and segmentIds. */
export function attentionMaskOptions(input: ForwardInput): CausalAttentionOptions {
  if (input.attentionMask) return { mask: input.attentionMask };
  return {
    ...(input.keyMask ? { keyMask: input.keyMask } : {}),
    ...(input.segmentIds ? { segmentIds: input.segmentIds } : {}),
  };
}

export function toHeads(x: tf.Tensor2D, B: number, T: number, heads: number, D: number): tf.Tensor4D {
  return tf.transpose(tf.reshape(x, [B, T, heads, D]), [0, 2, 1, 3]);
}

export function fromHeads(x: tf.Tensor4D): tf.Tensor2D {
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

/** Attention of `layer` over the new keys (causal, masked), or over the whole cache when `input.cache` is given. */
export function attend(layer: number, q: tf.Tensor4D, k: tf.Tensor4D, v: tf.Tensor4D, input: ForwardInput): tf.Tensor4D {
  const cache = input.cache;
  if (!cache) {
    return ops.causalAttention(q, k, v, attentionMaskOptions(input));
  }
  const past = cache.layers[layer]?.keys.shape[2] ?? 0;
  cache.append(layer, k, v);
  const entry = cache.layers[layer]!;
  return cachedAttention(q, entry.keys, entry.values, cache.keyMask!, past);
}
