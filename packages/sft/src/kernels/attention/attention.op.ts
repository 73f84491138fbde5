/**
 * The public causal self-attention op. On the webgpu backend it runs the flash-style WGSL kernels
 * (attention.wgsl.ts: no T×T matrix, log-sum-exp saved for a recomputing backward); on the host-side
 * backends (cpu, wasm) the host version (attention.host.ts: loops for the softmax, 2-D matmuls per
 * batch row and head); elsewhere (webgl, webgpu with fused kernels off) the composed-tfjs version
 * (attention.composed.ts). All have gradients for q, k and v.
 *
 * Shape legend: B batch, H query heads, Hkv key/value heads (H a multiple of Hkv), T time,
 * D head size. q [B, H, T, D]; k, v [B, Hkv, T, D]; out [B, H, T, D].
 */
import * as tf from '@tensorflow/tfjs';
import type { WebGPUBackend } from '@tensorflow/tfjs-backend-webgpu';
import { ShapeError } from '@steerlm/core';
import { defineFusedOp, runProgram, runProgramOnTensors, type FusedOpSaved } from '../runtime';

import { attentionScale } from './attention.reference';
import { composedAttention } from './attention.composed';
import { hostAttention } from './attention.host';
import { buildAttentionMask, type AttentionMaskInputs } from './attention.mask';
import {
  attentionBackwardKeyValueProgram,
  attentionBackwardQueryProgram,
  attentionForwardProgram,
  attentionRowStatsProgram,
  attentionTiling,
  type AttentionDims,
  type AttentionTiling,
} from './attention.wgsl';

/** Options of causalAttention: padding, packing and the softmax scale. */
export interface CausalAttentionOptions extends AttentionMaskInputs {
  /** Multiplies q·k before the softmax; 1/sqrt(D) when left out. */
  scale?: number;
}

interface AttentionAttributes {
  scale: number;
}

function dimsOf(q: readonly number[], k: readonly number[], scale: number): AttentionDims {
  const [batch, heads, time, headDim] = q as [number, number, number, number];
  return { batch, heads, kvHeads: k[1]!, time, headDim, scale };
}

function tilingFor(backend: WebGPUBackend, headDim: number): AttentionTiling {
  return attentionTiling(headDim, backend.device.limits.maxComputeWorkgroupStorageSize);
}

function webgpuForward(inputs: tf.TensorInfo[], attributes: AttentionAttributes, backend: WebGPUBackend): tf.TensorInfo[] {
  const [q, k] = inputs as [tf.TensorInfo, tf.TensorInfo];
  const dims = dimsOf(q.shape, k.shape, attributes.scale);
  return runProgram(attentionForwardProgram(dims, tilingFor(backend, dims.headDim)), inputs, backend);
}

function webgpuGradient(dys: tf.Tensor[], saved: FusedOpSaved, attributes: AttentionAttributes): tf.Tensor[] {
  const [q, k, v, mask] = saved.inputs as [tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor];
  const [out, logSumExp] = saved.outputs as [tf.Tensor, tf.Tensor];
  const dOut = dys[0]!;
  const backend = tf.backend() as WebGPUBackend;
  const dims = dimsOf(q.shape, k.shape, attributes.scale);
  const tiling = tilingFor(backend, dims.headDim);
  const [rowStats] = runProgramOnTensors(attentionRowStatsProgram(dims, tiling), [out, dOut, logSumExp]) as [tf.Tensor];
  const [dq] = runProgramOnTensors(attentionBackwardQueryProgram(dims, tiling), [q, k, v, dOut, rowStats, mask]) as [tf.Tensor];
  const [dk, dv] = runProgramOnTensors(attentionBackwardKeyValueProgram(dims, tiling), [q, k, v, dOut, rowStats, mask]) as [tf.Tensor, tf.Tensor];
  rowStats.dispose();
  return [dq, dk, dv, tf.zeros(mask.shape)];
}

/**
 * The fused op on inputs [q, k, v, mask]; outputs [out, logSumExp [B, H, T]] on webgpu, [out] on
 * the fallback. The log-sum-exp is a saved statistic: its own gradient is not propagated.
 */
export const causalAttentionOp = defineFusedOp<AttentionAttributes>({
  name: 'SteerLMCausalAttention',
  inputNames: ['q', 'k', 'v', 'mask'],
  outputCount: 2,
  webgpu: webgpuForward,
  host: ([q, k, v, mask], attributes) => [hostAttention(q as tf.Tensor4D, k as tf.Tensor4D, v as tf.Tensor4D, mask as tf.Tensor3D, attributes.scale)],
  fallback: ([q, k, v, mask], attributes) => [composedAttention(q as tf.Tensor4D, k as tf.Tensor4D, v as tf.Tensor4D, mask as tf.Tensor3D, attributes.scale)],
  gradient: webgpuGradient,
});

function checkInputs(q: tf.Tensor, k: tf.Tensor, v: tf.Tensor, scale: number): void {
  for (const [name, tensor] of [
    ['q', q],
    ['k', k],
    ['v', v],
  ] as const) {
    if (tensor.rank !== 4) {
      throw new ShapeError(`causalAttention: ${name} must have rank 4 ([B, heads, T, D]), got shape [${tensor.shape.join(', ')}]`, { field: name });
    }
    if (tensor.dtype !== 'float32') {
      throw new ShapeError(`causalAttention: ${name} must be float32, got ${tensor.dtype}`, { field: name, hint: 'cast it with tf.cast(x, "float32")' });
    }
  }
  const [batch, heads, time, headDim] = q.shape as [number, number, number, number];
  if (k.shape.join() !== v.shape.join()) {
    throw new ShapeError(`causalAttention: k [${k.shape.join(', ')}] and v [${v.shape.join(', ')}] must have the same shape`, { field: 'v' });
  }
  const [kBatch, kvHeads, kTime, kHeadDim] = k.shape as [number, number, number, number];
  if (kBatch !== batch || kTime !== time || kHeadDim !== headDim) {
    throw new ShapeError(`causalAttention: k/v [${k.shape.join(', ')}] do not match q [${q.shape.join(', ')}] in B, T or D`, { field: 'k' });
  }
  if (kvHeads === 0 || heads % kvHeads !== 0) {
    throw new ShapeError(`causalAttention: query heads H=${heads} is not a multiple of key/value heads Hkv=${kvHeads}`, {
      field: 'k',
      hint: 'grouped-query attention needs H = Hkv * group size',
    });
  }
  if (!Number.isFinite(scale)) {
    throw new ShapeError(`causalAttention: scale must be a finite number, got ${scale}`, { field: 'scale' });
  }
}

/**
 * Returns causal multi-head self-attention softmax(scale · q kᵀ + mask) v as [B, H, T, D]: query i
 * attends key j when j <= i, the key is not padding (validLengths / keyMask) and both share a
 * segment (segmentIds, for packed sequences). Differentiable in q, k and v on every backend.
 */
export function causalAttention(q: tf.Tensor4D, k: tf.Tensor4D, v: tf.Tensor4D, options: CausalAttentionOptions = {}): tf.Tensor4D {
  const scale = attentionScale(q.shape[3], options.scale);
  checkInputs(q, k, v, scale);
  return tf.tidy(() => {
    const mask = buildAttentionMask(q.shape[0], q.shape[2], options);
    const [out] = causalAttentionOp([q, k, v, mask], { scale });
    return out as tf.Tensor4D;
  });
}
