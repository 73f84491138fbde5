/**
 * The public causal self-attention op. On the webgpu backend it runs the flash-style WGSL kernels
 * (attention.wgsl.ts: no T×T matrix, log-sum-exp saved for a recomputing backward, which is one
 * dispatch, attention.flash-backward.ts, where the device binds enough storage buffers); on the host-side
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
import { hostAttention, hostAttentionPacked } from './attention.host';
import { buildAttentionMask, type AttentionMaskInputs } from './attention.mask';
import { attentionFlashBackwardProgram, flashBackwardTiling } from './attention.flash-backward';
import {
  attentionBackwardKeyValueProgram,
  attentionBackwardQueryProgram,
  attentionForwardProgram,
  attentionRowStatsProgram,
  attentionTiling,
  type AttentionDims,
  type AttentionLayout,
  type AttentionTiling,
} from './attention.wgsl';

/** Options of causalAttention: padding, packing and the softmax scale. */
export interface CausalAttentionOptions extends AttentionMaskInputs {
  /** Multiplies q·k before the softmax; 1/sqrt(D) when left out. */
  scale?: number;
  /**
   * The [2, B, T] int32 mask from buildAttentionMask, built once and shared by every layer of a
   * forward pass; when given, validLengths, keyMask and segmentIds are not read.
   */
  mask?: tf.Tensor3D;
}

/** Returns options.mask (checked against B and T), or a mask built from the other options. */
function maskOf(batch: number, time: number, options: CausalAttentionOptions): tf.Tensor3D {
  if (options.mask === undefined) return buildAttentionMask(batch, time, options);
  const { shape, dtype } = options.mask;
  if (shape[0] !== 2 || shape[1] !== batch || shape[2] !== time || dtype !== 'int32') {
    throw new ShapeError(`causalAttention: mask must be int32 [2, ${batch}, ${time}] (from buildAttentionMask), got ${dtype} [${shape.join(', ')}]`, {
      field: 'mask',
    });
  }
  return options.mask;
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

/**
 * Which backward the webgpu kernels run: 'flash' (attention.flash-backward.ts: dq, dk and dv in one
 * dispatch, delta computed in place) or 'split' (attention.wgsl.ts: a rowStats pass, a dq pass and a
 * dk/dv pass). 'auto' takes flash wherever the device binds enough storage buffers for it (the heads
 * layout's 7 inputs and 3 outputs exceed WebGPU's default 8), else split.
 */
export type AttentionBackwardPasses = 'auto' | 'flash' | 'split';

let backwardPasses: AttentionBackwardPasses = 'auto';

/** Sets which attention backward the webgpu kernels run (see AttentionBackwardPasses); returns the previous setting. */
export function setAttentionBackwardPasses(passes: AttentionBackwardPasses): AttentionBackwardPasses {
  const previous = backwardPasses;
  backwardPasses = passes;
  return previous;
}

/** The storage buffers the flash backward binds: 7 inputs, then dq, dk, dv ('heads') or d(qkv) ('packed'). */
function flashBackwardBuffers(layout: AttentionLayout): number {
  return 7 + (layout === 'packed' ? 1 : 3);
}

/** Returns true when the backward of `layout` runs as the single flash dispatch on `backend`. */
function usesFlashBackward(backend: WebGPUBackend, layout: AttentionLayout): boolean {
  if (backwardPasses !== 'auto') return backwardPasses === 'flash';
  return backend.device.limits.maxStorageBuffersPerShaderStage >= flashBackwardBuffers(layout);
}

function flashTilingFor(backend: WebGPUBackend, headDim: number) {
  return flashBackwardTiling(headDim, backend.device.limits.maxComputeWorkgroupStorageSize);
}

function webgpuGradient(dys: tf.Tensor[], saved: FusedOpSaved, attributes: AttentionAttributes): Array<tf.Tensor | undefined> {
  const [q, k, v, mask] = saved.inputs as [tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor];
  const [out, logSumExp] = saved.outputs as [tf.Tensor, tf.Tensor];
  const dOut = dys[0]!;
  const backend = tf.backend() as WebGPUBackend;
  const dims = dimsOf(q.shape, k.shape, attributes.scale);
  if (usesFlashBackward(backend, 'heads')) {
    const program = attentionFlashBackwardProgram(dims, flashTilingFor(backend, dims.headDim));
    const [dq, dk, dv] = runProgramOnTensors(program, [q, k, v, out, dOut, logSumExp, mask]) as [tf.Tensor, tf.Tensor, tf.Tensor];
    // The int32 mask has no gradient (zeros only if tfjs ever asks: see FusedOpDefinition.gradient).
    return [dq, dk, dv, undefined];
  }
  const tiling = tilingFor(backend, dims.headDim);
  const [rowStats] = runProgramOnTensors(attentionRowStatsProgram(dims, tiling), [out, dOut, logSumExp]) as [tf.Tensor];
  const [dq] = runProgramOnTensors(attentionBackwardQueryProgram(dims, tiling), [q, k, v, dOut, rowStats, mask]) as [tf.Tensor];
  const [dk, dv] = runProgramOnTensors(attentionBackwardKeyValueProgram(dims, tiling), [q, k, v, dOut, rowStats, mask]) as [tf.Tensor, tf.Tensor];
  rowStats.dispose();
  return [dq, dk, dv, undefined];
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
    const mask = maskOf(q.shape[0], q.shape[2], options);
    const [out] = causalAttentionOp([q, k, v, mask], { scale });
    return out as tf.Tensor4D;
  });
}

interface PackedAttentionAttributes {
  scale: number;
  heads: number;
  kvHeads: number;
}

function packedDims(qkv: readonly number[], mask: readonly number[], attributes: PackedAttentionAttributes): AttentionDims {
  const [, batch, time] = mask as [number, number, number];
  const headDim = qkv[1]! / (attributes.heads + 2 * attributes.kvHeads);
  return { batch, heads: attributes.heads, kvHeads: attributes.kvHeads, time, headDim, scale: attributes.scale };
}

/** Returns q [B, H, T, D], k and v [B, Hkv, T, D] split out of qkv [B·T, (H + 2·Hkv)·D]. */
function splitPacked(qkv: tf.Tensor, dims: AttentionDims): [tf.Tensor4D, tf.Tensor4D, tf.Tensor4D] {
  const { batch: B, heads: H, kvHeads: Hkv, time: T, headDim: D } = dims;
  const [q, k, v] = tf.split(qkv, [H * D, Hkv * D, Hkv * D], 1);
  const heads = (x: tf.Tensor, count: number) => tf.transpose(tf.reshape(x, [B, T, count, D]), [0, 2, 1, 3]) as tf.Tensor4D;
  return [heads(q!, H), heads(k!, Hkv), heads(v!, Hkv)];
}

function packedGradient(dys: tf.Tensor[], saved: FusedOpSaved, attributes: PackedAttentionAttributes): Array<tf.Tensor | undefined> {
  const [qkv, mask] = saved.inputs as [tf.Tensor, tf.Tensor];
  const [out, logSumExp] = saved.outputs as [tf.Tensor, tf.Tensor];
  const backend = tf.backend() as WebGPUBackend;
  const dims = packedDims(qkv.shape, mask.shape, attributes);
  const dOut = dys[0]!;
  if (usesFlashBackward(backend, 'packed')) {
    // One dispatch writes the whole d(qkv): q rows from the query-row workgroups, k and v rows from the key-row ones.
    const program = attentionFlashBackwardProgram(dims, flashTilingFor(backend, dims.headDim), 'packed');
    const [dqkv] = runProgramOnTensors(program, [qkv, qkv, qkv, out, dOut, logSumExp, mask]) as [tf.Tensor];
    return [dqkv, undefined];
  }
  const tiling = tilingFor(backend, dims.headDim);
  const [rowStats] = runProgramOnTensors(attentionRowStatsProgram(dims, tiling, 'packed'), [out, dOut, logSumExp]) as [tf.Tensor];
  const [dq] = runProgramOnTensors(attentionBackwardQueryProgram(dims, tiling, 'packed'), [qkv, qkv, qkv, dOut, rowStats, mask]) as [tf.Tensor];
  // The dk/dv pass writes the whole d(qkv), dq rows included: no concat.
  const [dqkv] = runProgramOnTensors(attentionBackwardKeyValueProgram(dims, tiling, 'packed'), [qkv, qkv, qkv, dOut, rowStats, mask, dq]) as [tf.Tensor];
  tf.dispose([rowStats, dq]);
  return [dqkv, undefined];
}

/**
 * The fused op on inputs [qkv [B·T, (H + 2·Hkv)·D], mask [2, B, T]]; outputs [out [B·T, H·D],
 * logSumExp [B, H, T]] on webgpu (the kernels read q, k and v in place), [out] elsewhere: the host
 * version for H = Hkv on cpu and wasm, else the composed one after a split into heads.
 */
export const causalAttentionPackedOp = defineFusedOp<PackedAttentionAttributes>({
  name: 'SteerLMCausalAttentionPacked',
  inputNames: ['qkv', 'mask'],
  outputCount: 2,
  webgpu: ([qkv, mask], attributes, backend) => {
    const dims = packedDims(qkv!.shape, mask!.shape, attributes);
    return runProgram(attentionForwardProgram(dims, tilingFor(backend, dims.headDim), 'packed'), [qkv!, qkv!, qkv!, mask!], backend);
  },
  host: ([qkv, mask], attributes) => {
    if (attributes.heads === attributes.kvHeads) return [hostAttentionPacked(qkv as tf.Tensor2D, mask as tf.Tensor3D, attributes.heads, attributes.scale)];
    const dims = packedDims(qkv!.shape, mask!.shape, attributes);
    const [q, k, v] = splitPacked(qkv!, dims);
    return [fromHeadsLayout(hostAttention(q, k, v, mask as tf.Tensor3D, attributes.scale))];
  },
  fallback: ([qkv, mask], attributes) => {
    const dims = packedDims(qkv!.shape, mask!.shape, attributes);
    const [q, k, v] = splitPacked(qkv!, dims);
    return [fromHeadsLayout(composedAttention(q, k, v, mask as tf.Tensor3D, attributes.scale))];
  },
  gradient: packedGradient,
});

/** Returns x [B, H, T, D] as [B·T, H·D]. */
function fromHeadsLayout(x: tf.Tensor4D): tf.Tensor2D {
  const [B, H, T, D] = x.shape;
  return tf.reshape(tf.transpose(x, [0, 2, 1, 3]), [B * T, H * D]);
}

/** How causalAttentionPacked splits its input: query and key/value head counts (Hkv = H when left out). */
export interface PackedAttentionOptions extends CausalAttentionOptions {
  heads: number;
  kvHeads?: number;
}

/**
 * Returns causal self-attention [B·T, H·D] of a packed projection qkv [B·T, (H + 2·Hkv)·D] (q | k | v,
 * each with its heads side by side, as GPT-2's c_attn makes it) for a batch of B rows of T tokens:
 * the same visibility rules and gradients as causalAttention, with no split or transposes on webgpu.
 */
export function causalAttentionPacked(qkv: tf.Tensor2D, batch: number, time: number, options: PackedAttentionOptions): tf.Tensor2D {
  const heads = options.heads;
  const kvHeads = options.kvHeads ?? heads;
  const width = qkv.shape[1];
  const headDim = width / (heads + 2 * kvHeads);
  if (qkv.rank !== 2 || qkv.shape[0] !== batch * time || !Number.isInteger(headDim) || headDim < 1 || heads % kvHeads !== 0) {
    throw new ShapeError(`causalAttentionPacked: qkv [${qkv.shape.join(', ')}] is not [B·T = ${batch * time}, (H + 2·Hkv)·D] for H=${heads}, Hkv=${kvHeads}`, {
      field: 'qkv',
      hint: 'H must be a multiple of Hkv and the width a multiple of H + 2·Hkv',
    });
  }
  if (qkv.dtype !== 'float32') throw new ShapeError(`causalAttentionPacked: qkv must be float32, got ${qkv.dtype}`, { field: 'qkv' });
  const scale = attentionScale(headDim, options.scale);
  return tf.tidy(() => {
    const mask = maskOf(batch, time, options);
    const [out] = causalAttentionPackedOp([qkv, mask], { scale, heads, kvHeads });
    return out as tf.Tensor2D;
  });
}
