/**
 * The tensor operations the decoders are written in. Shape legend: B batch, T time, C channels,
 * H heads, D head width, V vocabulary, N = B*T rows.
 */
import * as tf from '@tensorflow/tfjs';

/** x [N, K] · W^T with W [M, K] (Hugging Face Linear layout) → [N, M]. */
export function linear(x: tf.Tensor2D, weight: tf.Tensor2D, bias?: tf.Tensor1D): tf.Tensor2D {
  const y = tf.matMul(x, weight, false, true);
  return bias ? tf.add(y, bias) : y;
}

/** x [N, K] · W with W [K, M] (GPT-2 Conv1D layout) → [N, M]. */
export function conv1d(x: tf.Tensor2D, weight: tf.Tensor2D, bias?: tf.Tensor1D): tf.Tensor2D {
  const y = tf.matMul(x, weight);
  return bias ? tf.add(y, bias) : y;
}

/** Rows of `table` [V, C] at `ids` [N] → [N, C]. */
export function embed(table: tf.Tensor2D, ids: tf.Tensor1D): tf.Tensor2D {
  return tf.gather(table, ids);
}

/** RMSNorm over the last axis. */
export function rmsNorm(x: tf.Tensor2D, weight: tf.Tensor1D, eps: number): tf.Tensor2D {
  return tf.tidy(() => tf.mul(tf.mul(x, tf.rsqrt(tf.add(tf.mean(tf.square(x), -1, true), eps))), weight));
}

/** LayerNorm over the last axis. */
export function layerNorm(x: tf.Tensor2D, weight: tf.Tensor1D, bias: tf.Tensor1D, eps: number): tf.Tensor2D {
  return tf.tidy(() => {
    const { mean, variance } = tf.moments(x, -1, true);
    return tf.add(tf.mul(tf.mul(tf.sub(x, mean), tf.rsqrt(tf.add(variance, eps))), weight), bias);
  });
}

/** silu(gate) * up. */
export function swiglu(gate: tf.Tensor2D, up: tf.Tensor2D): tf.Tensor2D {
  return tf.mul(tf.mul(gate, tf.sigmoid(gate)), up);
}

/** GELU, tanh approximation (GPT-2's gelu_new). */
export function gelu(x: tf.Tensor2D): tf.Tensor2D {
  return tf.tidy(() => {
    const inner = tf.mul(Math.sqrt(2 / Math.PI), tf.add(x, tf.mul(0.044715, tf.pow(x, 3))));
    return tf.mul(tf.mul(0.5, x), tf.add(1, tf.tanh(inner)));
  });
}

/** Rotary embedding (rotate_half convention) of x [B, H, T, D] given cos/sin [B, 1, T, D/2]. */
export function rope(x: tf.Tensor4D, cos: tf.Tensor4D, sin: tf.Tensor4D): tf.Tensor4D {
  return tf.tidy(() => {
    const half = x.shape[3] / 2;
    const [x1, x2] = tf.split(x, [half, half], 3) as [tf.Tensor4D, tf.Tensor4D];
    const first = tf.sub(tf.mul(x1, cos), tf.mul(x2, sin));
    const second = tf.add(tf.mul(x2, cos), tf.mul(x1, sin));
    return tf.concat([first, second], 3) as tf.Tensor4D;
  });
}

/**
 * Causal self-attention: q [B, H, T, D], k/v [B, Hkv, T, D]; a query attends key j when j <= i,
 * the key is valid (`keyMask` [B, T], 1 valid) and both are in the same segment (`segmentIds` [B, T]).
 */
export function causalAttention(
  q: tf.Tensor4D,
  k: tf.Tensor4D,
  v: tf.Tensor4D,
  options: { keyMask?: tf.Tensor2D; segmentIds?: tf.Tensor2D; scale?: number } = {},
): tf.Tensor4D {
  return tf.tidy(() => {
    const [B, H, T, D] = q.shape;
    const groups = H / k.shape[1];
    const expand = (t: tf.Tensor4D) => (groups === 1 ? t : (tf.reshape(tf.tile(tf.expandDims(t, 2), [1, 1, groups, 1, 1]), [B, H, T, D]) as tf.Tensor4D));
    const scale = options.scale ?? 1 / Math.sqrt(D);
    const scores = tf.mul(tf.matMul(q, expand(k), false, true), scale);
    let allowed: tf.Tensor = tf.reshape(tf.linalg.bandPart(tf.ones([T, T]), -1, 0), [1, 1, T, T]);
    if (options.keyMask) allowed = tf.mul(allowed, tf.reshape(options.keyMask, [B, 1, 1, T]));
    if (options.segmentIds) {
      const same = tf.cast(tf.equal(tf.reshape(options.segmentIds, [B, 1, T, 1]), tf.reshape(options.segmentIds, [B, 1, 1, T])), 'float32');
      allowed = tf.mul(allowed, same);
    }
    // A query with no allowed key (a padding row) gets its own key, so softmax never sees an empty set.
    const diagonal = tf.reshape(tf.eye(T), [1, 1, T, T]);
    const hasAny = tf.cast(tf.greater(tf.sum(allowed, -1, true), 0), 'float32');
    allowed = tf.add(allowed, tf.mul(diagonal, tf.sub(1, hasAny)));
    const masked = tf.add(scores, tf.mul(tf.sub(1, allowed), -1e9));
    return tf.matMul(tf.softmax(masked), expand(v)) as tf.Tensor4D;
  });
}

/** Per-token cross-entropy of logits [N, V] at int32 targets [N] → [N]. */
export function tokenCrossEntropy(logits: tf.Tensor2D, targets: tf.Tensor1D): tf.Tensor1D {
  return tf.tidy(() => {
    const logSoftmax = tf.logSoftmax(logits);
    const picked = tf.sum(tf.mul(logSoftmax, tf.oneHot(targets, logits.shape[1])), -1);
    return tf.neg(picked) as tf.Tensor1D;
  });
}
