/**
 * The tensor operations the decoders are written in, mapped onto the fused kernels (WGSL on
 * webgpu, composed tfjs elsewhere). Shape legend: B batch, T time, C channels, H heads, D head
 * width, V vocabulary, N = B*T rows.
 */
import * as tf from '@tensorflow/tfjs';
import { gelu as geluOp, swiglu as swigluOp } from '../kernels/activations';
import { causalAttention as causalAttentionOp, causalAttentionPacked as causalAttentionPackedOp, type CausalAttentionOptions } from '../kernels/attention';
import { embedding } from '../kernels/embedding';
import { layerNorm as layerNormOp } from '../kernels/layer-norm';
import { linear as fusedLinear, linearUsesKernel, matmul } from '../kernels/matmul';
import { rmsNorm as rmsNormOp } from '../kernels/rms-norm';
import { rope as ropeOp, type RopeOptions } from '../kernels/rope';
import { mlasAffine, usesMlas } from '../kernels/host/mlas-ops';
import { isHostBackend } from '../kernels/runtime/host-backend';

/** x [N, K] · W^T with W [M, K] (Hugging Face Linear layout) → [N, M]. */
export function linear(x: tf.Tensor2D, weight: tf.Tensor2D, bias?: tf.Tensor1D): tf.Tensor2D {
  const y = matmul(x, weight, { transposeB: true }) as tf.Tensor2D;
  return bias ? tf.add(y, bias) : y;
}

/** What conv1d does after x·W + b: a GELU ('tanh' = gelu_new, 'erf') and a residual added last. */
export interface Conv1dEpilogue {
  activation?: 'tanh' | 'erf';
  residual?: tf.Tensor2D;
}

/**
 * x [N, K] · W with W [K, M] (GPT-2 Conv1D layout) (+ b, then the epilogue's GELU and residual) → [N, M].
 * On webgpu with a bias: one fused dispatch (kernels/matmul linear); elsewhere separate ops.
 */
export function conv1d(x: tf.Tensor2D, weight: tf.Tensor2D, bias?: tf.Tensor1D, epilogue: Conv1dEpilogue = {}): tf.Tensor2D {
  if (bias && linearUsesKernel()) {
    return fusedLinear(x, weight, bias, {
      ...(epilogue.activation ? { activation: epilogue.activation } : {}),
      ...(epilogue.residual ? { residual: epilogue.residual } : {}),
    });
  }
  let y: tf.Tensor2D;
  if (bias && isHostBackend()) y = affineOnHostBackend(x, weight, bias);
  else {
    y = matmul(x, weight) as tf.Tensor2D;
    if (bias) y = tf.add(y, bias);
  }
  if (epilogue.activation) y = gelu(y, epilogue.activation);
  return epilogue.residual ? tf.add(epilogue.residual, y) : y;
}

/**
 * x [N, K] · W [K, M] + b [M] → [N, M] on cpu and wasm: one FusedMatMul forward (XNNPACK adds the
 * bias; the broadcast Add it replaces copies both its inputs for the backward on wasm), and a
 * written-out gradient: dx = dy·Wᵀ, dW = xᵀ·dy (through matmul, which picks the cheaper transposes),
 * db = 1ᵀ·dy as a [1, N]·[N, M] product (tfjs-wasm sums over rows through a transpose).
 */
function affineOnHostBackend(x: tf.Tensor2D, weight: tf.Tensor2D, bias: tf.Tensor1D): tf.Tensor2D {
  if (usesMlas()) return mlasAffine(x, weight, bias);
  const affine = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
    const [input, kernel, shift] = args as [tf.Tensor2D, tf.Tensor2D, tf.Tensor1D];
    const save = args[3] as tf.GradSaveFunc;
    save([input, kernel]);
    return {
      value: tf.fused.matMul({ a: input, b: kernel, bias: shift }),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [savedInput, savedKernel] = saved as [tf.Tensor2D, tf.Tensor2D];
        const rows = savedInput.shape[0];
        const dInput = matmul(dy, savedKernel, { transposeB: true });
        const dKernel = matmul(savedInput, dy, { transposeA: true });
        const dShift = tf.tidy(() => tf.reshape(tf.matMul(tf.ones([1, rows]), dy as tf.Tensor2D), [savedKernel.shape[1]]));
        return [dInput, dKernel, dShift];
      },
    };
  });
  return affine(x, weight, bias) as tf.Tensor2D;
}

/** Rows of `table` [V, C] at int32 `ids` [N] → [N, C] (scatter-add gradient on every backend). */
export function embed(table: tf.Tensor2D, ids: tf.Tensor1D): tf.Tensor2D {
  return embedding(table, ids) as tf.Tensor2D;
}

/** RMSNorm over the last axis. */
export function rmsNorm(x: tf.Tensor2D, weight: tf.Tensor1D, eps: number): tf.Tensor2D {
  return rmsNormOp(x, weight, eps) as tf.Tensor2D;
}

/** LayerNorm over the last axis. */
export function layerNorm(x: tf.Tensor2D, weight: tf.Tensor1D, bias: tf.Tensor1D, eps: number): tf.Tensor2D {
  return layerNormOp(x, weight, bias, eps) as tf.Tensor2D;
}

/** silu(gate) * up. */
export function swiglu(gate: tf.Tensor2D, up: tf.Tensor2D): tf.Tensor2D {
  return swigluOp(gate, up) as tf.Tensor2D;
}

/** GELU, tanh approximation (GPT-2's gelu_new) or exact (erf). */
export function gelu(x: tf.Tensor2D, approximation: 'tanh' | 'erf' = 'tanh'): tf.Tensor2D {
  return geluOp(x, { approximation }) as tf.Tensor2D;
}

/** The activation a GPT-2 config names (`activation_function`), as Hugging Face computes it. */
export function gpt2Activation(x: tf.Tensor2D, activation: string): tf.Tensor2D {
  if (activation === 'relu') return tf.relu(x);
  if (activation === 'silu' || activation === 'swish') return tf.mul(x, tf.sigmoid(x));
  return gelu(x, activation === 'gelu' ? 'erf' : 'tanh');
}

/** Rotary embedding of x [B, H, T, D] at int32 positions [B, T]. */
export function rope(x: tf.Tensor4D, options: RopeOptions): tf.Tensor4D {
  return ropeOp(x, options);
}

/** Rotary embedding with linear position interpolation (positions / factor), which the fused op does not take. */
export function ropeLinearScaled(x: tf.Tensor4D, positions: tf.Tensor2D, inverseFrequencies: Float32Array, factor: number): tf.Tensor4D {
  return tf.tidy(() => {
    const [B, , T, D] = x.shape;
    const angles = tf.mul(
      tf.reshape(tf.div(tf.cast(positions, 'float32'), factor), [B, 1, T, 1]),
      tf.reshape(tf.tensor1d(inverseFrequencies), [1, 1, 1, D / 2]),
    );
    const cos = tf.cos(angles);
    const sin = tf.sin(angles);
    const [x1, x2] = tf.split(x, 2, 3);
    return tf.concat([tf.sub(tf.mul(x1!, cos), tf.mul(x2!, sin)), tf.add(tf.mul(x2!, cos), tf.mul(x1!, sin))], 3) as tf.Tensor4D;
  });
}

/** Causal self-attention of q [B, H, T, D] over k/v [B, Hkv, T, D] with padding and packing masks. */
export function causalAttention(q: tf.Tensor4D, k: tf.Tensor4D, v: tf.Tensor4D, options: CausalAttentionOptions = {}): tf.Tensor4D {
  return causalAttentionOp(q, k, v, options);
}

/**
 * Causal self-attention [B*T, C] of a packed projection qkv [B*T, 3C] (q | k | v, each with its H heads
 * side by side, as GPT-2's c_attn makes it): read in place by the kernels on webgpu and on the host
 * backends, with no split or transposes.
 */
export function causalAttentionPacked(qkv: tf.Tensor2D, B: number, T: number, H: number, options: CausalAttentionOptions = {}): tf.Tensor2D {
  return causalAttentionPackedOp(qkv, B, T, { ...options, heads: H });
}
