/**
 * Causal attention composed of stock tfjs ops, for cpu, wasm and any backend without the WGSL
 * kernels: it materialises the [B, H, T, T] scores, so memory grows with T². Its gradient is
 * written out (the same formulas as the reference and the WGSL backward), not left to autodiff.
 *
 * Shape legend: B batch, H query heads, Hkv key/value heads, G = H / Hkv, T time, D head size.
 * q [B, H, T, D]; k, v [B, Hkv, T, D]; mask [2, B, T] int32 (see attention.mask.ts).
 */
import * as tf from '@tensorflow/tfjs';
import { isHostBackend } from '../runtime/host-backend';
import { attendableMatrix } from './attention.mask';

/** A score that no real q·k reaches; masked scores take it before the softmax. */
const MASKED_SCORE = -1e30;

/**
 * Returns k or v [B, Hkv, T, D] repeated to [B, H, T, D] (query head h reads head floor(h / G)).
 * Stays at rank 4: tfjs-webgpu runs a rank-5 Tile on the CPU with a synchronous read, which Node lacks.
 */
export function repeatKeyValueHeads(x: tf.Tensor4D, group: number): tf.Tensor4D {
  if (group === 1) return x;
  const [B, Hkv, T, D] = x.shape;
  return tf.tidy(
    () =>
      x
        .reshape([B, Hkv, 1, T * D])
        .tile([1, 1, group, 1])
        .reshape([B, Hkv * group, T, D]) as tf.Tensor4D,
  );
}

/** Returns a [B, H, T, D] gradient summed over each group of G query heads: [B, Hkv, T, D]. */
export function sumKeyValueGroups(x: tf.Tensor4D, group: number): tf.Tensor4D {
  if (group === 1) return x;
  const [B, H, T, D] = x.shape;
  return tf.tidy(() => x.reshape([B, H / group, group, T, D]).sum(2) as tf.Tensor4D);
}

/**
 * Returns the float32 [B, 1, T, T] visibility (1 where query i may attend key j). On host-side
 * backends it is built from the [2, B, T] mask in plain loops (the boolean tensor ops it replaces,
 * Equal/LogicalAnd/Tile on [B, T, T], cost more than the attention's matmuls on wasm); on GPU
 * backends, where reading the mask would stall, from attendableMatrix.
 */
export function visibilityMatrix(mask: tf.Tensor3D): tf.Tensor4D {
  const [, batch, time] = mask.shape;
  if (!isHostBackend()) return tf.tidy(() => tf.cast(attendableMatrix(mask), 'float32') as tf.Tensor4D);
  const values = mask.dataSync();
  const visible = new Float32Array(batch * time * time);
  for (let b = 0; b < batch; b++) {
    const segments = b * time;
    const valid = (batch + b) * time;
    for (let i = 0; i < time; i++) {
      const row = (b * time + i) * time;
      for (let j = 0; j <= i; j++) {
        if (values[valid + j] !== 0 && values[segments + j] === values[segments + i]) visible[row + j] = 1;
      }
    }
  }
  return tf.tensor4d(visible, [batch, 1, time, time]);
}

/** Returns the attention probabilities [B, H, T, T] (rows with no visible key are all zero) for a float [B, 1, T, T] visibility. */
export function attentionProbabilities(q: tf.Tensor4D, kRepeated: tf.Tensor4D, visible: tf.Tensor4D, scale: number): tf.Tensor4D {
  return tf.tidy(() => {
    // Adding -1e30 gives exactly the masked score where(visible, s, -1e30) gives: |s| is far below 1e30's ulp.
    const masked = tf.add(tf.mul(tf.matMul(q, kRepeated, false, true), scale), tf.mul(tf.sub(1, visible), MASKED_SCORE));
    const weights = tf.mul(tf.exp(tf.sub(masked, tf.max(masked, -1, true))), visible);
    // A row with a visible key sums to >= 1 (its maximum contributes exp(0)); an empty row stays 0.
    return tf.div(weights, tf.maximum(tf.sum(weights, -1, true), 1e-30)) as tf.Tensor4D;
  });
}

/** Returns the attention output [B, H, T, D] computed with stock tfjs ops. */
export function composedAttentionForward(q: tf.Tensor4D, k: tf.Tensor4D, v: tf.Tensor4D, mask: tf.Tensor3D, scale: number): tf.Tensor4D {
  return tf.tidy(() => {
    const group = q.shape[1] / k.shape[1];
    const probabilities = attentionProbabilities(q, repeatKeyValueHeads(k, group), visibilityMatrix(mask), scale);
    return tf.matMul(probabilities, repeatKeyValueHeads(v, group)) as tf.Tensor4D;
  });
}

/**
 * Returns [dq, dk, dv] for upstream gradient dOut from the forward's probabilities P and output:
 * dV = Pᵀ dOut, dP = dOut Vᵀ, dS = P ∘ (dP - rowsum(dOut ∘ out)), dQ = scale dS K, dK = scale dSᵀ Q;
 * dk, dv summed per group.
 */
function attentionBackwardFromProbabilities(
  q: tf.Tensor4D,
  k: tf.Tensor4D,
  v: tf.Tensor4D,
  probabilities: tf.Tensor4D,
  out: tf.Tensor4D,
  dOut: tf.Tensor4D,
  scale: number,
): [tf.Tensor4D, tf.Tensor4D, tf.Tensor4D] {
  return tf.tidy(() => {
    const group = q.shape[1] / k.shape[1];
    const kRepeated = repeatKeyValueHeads(k, group);
    const vRepeated = repeatKeyValueHeads(v, group);
    const dv = tf.matMul(probabilities, dOut, true, false) as tf.Tensor4D;
    const dProbabilities = tf.matMul(dOut, vRepeated, false, true);
    const delta = tf.sum(tf.mul(dOut, out), -1, true);
    // The scale is folded into dS once instead of into both dq and dk.
    const dScores = tf.mul(tf.mul(probabilities, tf.sub(dProbabilities, delta)), scale);
    const dq = tf.matMul(dScores, kRepeated) as tf.Tensor4D;
    const dk = tf.matMul(dScores, q, true, false) as tf.Tensor4D;
    return [dq, sumKeyValueGroups(dk, group), sumKeyValueGroups(dv, group)];
  });
}

/**
 * Returns [dq, dk, dv] for upstream gradient dOut, recomputing P and out from q, k, v and the mask
 * (see attentionBackwardFromProbabilities for the formulas).
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
    const probabilities = attentionProbabilities(q, repeatKeyValueHeads(k, group), visibilityMatrix(mask), scale);
    const out = tf.matMul(probabilities, repeatKeyValueHeads(v, group)) as tf.Tensor4D;
    return attentionBackwardFromProbabilities(q, k, v, probabilities, out, dOut, scale);
  });
}

/**
 * Returns the attention output [B, H, T, D] with its gradient written out (the mask gets zeros); the
 * forward's probabilities and output are kept for the backward instead of being recomputed.
 */
export function composedAttention(q: tf.Tensor4D, k: tf.Tensor4D, v: tf.Tensor4D, mask: tf.Tensor3D, scale: number): tf.Tensor4D {
  const attend = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
    const [query, key, value, visibility] = args as tf.Tensor4D[];
    const save = args[4] as tf.GradSaveFunc;
    const group = query!.shape[1] / key!.shape[1];
    const probabilities = attentionProbabilities(query!, repeatKeyValueHeads(key!, group), visibilityMatrix(visibility as unknown as tf.Tensor3D), scale);
    const out = tf.matMul(probabilities, repeatKeyValueHeads(value!, group)) as tf.Tensor4D;
    save([query!, key!, value!, probabilities, out]);
    return {
      value: out,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [savedQuery, savedKey, savedValue, savedProbabilities, savedOut] = saved as tf.Tensor4D[];
        const gradients = attentionBackwardFromProbabilities(savedQuery!, savedKey!, savedValue!, savedProbabilities!, savedOut!, dy as tf.Tensor4D, scale);
        return [...gradients, tf.zeros(visibility!.shape)];
      },
    };
  });
  return attend(q, k, v, mask) as tf.Tensor4D;
}
