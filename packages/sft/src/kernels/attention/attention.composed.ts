/**
 * Causal attention composed of stock tfjs ops, for cpu, wasm and any backend without the WGSL
 * kernels: it materialises the [B, H, T, T] scores, so memory grows with T². Its gradient is
 * written out (the same formulas as the reference and the WGSL backward), not left to autodiff.
 *
 * Shape legend: B batch, H query heads, Hkv key/value heads, G = H / Hkv, T time, D head size.
 * q [B, H, T, D]; k, v [B, Hkv, T, D]; mask [2, B, T] int32 (see attention.mask.ts).
 */
import * as tf from '@tensorflow/tfjs';
import { attendableMatrix } from './attention.mask';

/** A score that no real q·k reaches; masked scores take it before the softmax. */
const MASKED_SCORE = -1e30;

/** Returns k or v [B, Hkv, T, D] repeated to [B, H, T, D] (query head h reads head floor(h / G)). */
export function repeatKeyValueHeads(x: tf.Tensor4D, group: number): tf.Tensor4D {
  if (group === 1) return x;
  const [B, Hkv, T, D] = x.shape;
  return tf.tidy(() => x.reshape([B, Hkv, 1, T, D]).tile([1, 1, group, 1, 1]).reshape([B, Hkv * group, T, D]) as tf.Tensor4D);
}

/** Returns a [B, H, T, D] gradient summed over each group of G query heads: [B, Hkv, T, D]. */
export function sumKeyValueGroups(x: tf.Tensor4D, group: number): tf.Tensor4D {
  if (group === 1) return x;
  const [B, H, T, D] = x.shape;
  return tf.tidy(() => x.reshape([B, H / group, group, T, D]).sum(2) as tf.Tensor4D);
}

/** Returns the attention probabilities [B, H, T, T] (rows with no visible key are all zero). */
export function attentionProbabilities(q: tf.Tensor4D, kRepeated: tf.Tensor4D, attendable: tf.Tensor4D, scale: number): tf.Tensor4D {
  return tf.tidy(() => {
    const scores = tf.mul(tf.matMul(q, kRepeated, false, true), scale);
    const visible = tf.broadcastTo(attendable, scores.shape);
    const masked = tf.where(visible, scores, tf.fill(scores.shape, MASKED_SCORE));
    const weights = tf.mul(tf.exp(tf.sub(masked, tf.max(masked, -1, true))), tf.cast(visible, 'float32'));
    return tf.divNoNan(weights, tf.sum(weights, -1, true)) as tf.Tensor4D;
  });
}

/** Returns the attention output [B, H, T, D] computed with stock tfjs ops. */
export function composedAttentionForward(q: tf.Tensor4D, k: tf.Tensor4D, v: tf.Tensor4D, mask: tf.Tensor3D, scale: number): tf.Tensor4D {
  return tf.tidy(() => {
    const group = q.shape[1] / k.shape[1];
    const probabilities = attentionProbabilities(q, repeatKeyValueHeads(k, group), attendableMatrix(mask), scale);
    return tf.matMul(probabilities, repeatKeyValueHeads(v, group)) as tf.Tensor4D;
  });
}

/**
 * Returns [dq, dk, dv] for upstream gradient dOut: P recomputed, dV = Pᵀ dOut, dP = dOut Vᵀ,
 * dS = P ∘ (dP - rowsum(dOut ∘ out)), dQ = scale dS K, dK = scale dSᵀ Q; dk, dv summed per group.
 */
export function composedAttentionBackward(
  q: tf.Tensor4D,
  k: tf.Tensor4D,
  v: tf.Tensor4D,
  mask: tf.Tensor3D,
  dOut: tf.Tensor4D,
  scale: number,
): [tf.Tensor4D, tf.Tensor4D, tf.Tensor4D] {
  return tf.tidy(() => {
    const group = q.shape[1] / k.shape[1];
    const kRepeated = repeatKeyValueHeads(k, group);
    const vRepeated = repeatKeyValueHeads(v, group);
    const probabilities = attentionProbabilities(q, kRepeated, attendableMatrix(mask), scale);
    const out = tf.matMul(probabilities, vRepeated);
    const dv = tf.matMul(probabilities, dOut, true, false) as tf.Tensor4D;
    const dProbabilities = tf.matMul(dOut, vRepeated, false, true);
    const delta = tf.sum(tf.mul(dOut, out), -1, true);
    const dScores = tf.mul(probabilities, tf.sub(dProbabilities, delta));
    const dq = tf.mul(tf.matMul(dScores, kRepeated), scale) as tf.Tensor4D;
    const dk = tf.mul(tf.matMul(dScores, q, true, false), scale) as tf.Tensor4D;
    return [dq, sumKeyValueGroups(dk, group), sumKeyValueGroups(dv, group)];
  });
}

/** Returns the attention output [B, H, T, D] with composedAttentionBackward as its gradient (the mask gets zeros). */
export function composedAttention(q: tf.Tensor4D, k: tf.Tensor4D, v: tf.Tensor4D, mask: tf.Tensor3D, scale: number): tf.Tensor4D {
  const attend = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
    const [query, key, value, visibility] = args as tf.Tensor4D[];
    const save = args[4] as tf.GradSaveFunc;
    save([query!, key!, value!, visibility!]);
    return {
      value: composedAttentionForward(query!, key!, value!, visibility as unknown as tf.Tensor3D, scale),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [savedQuery, savedKey, savedValue, savedMask] = saved as [tf.Tensor4D, tf.Tensor4D, tf.Tensor4D, tf.Tensor3D];
        const gradients = composedAttentionBackward(savedQuery, savedKey, savedValue, savedMask, dy as tf.Tensor4D, scale);
        return [...gradients, tf.zeros(savedMask.shape)];
      },
    };
  });
  return attend(q, k, v, mask) as tf.Tensor4D;
}
