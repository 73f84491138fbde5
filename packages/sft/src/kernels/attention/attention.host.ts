/**
 * Causal attention for the host-side backends (cpu, wasm): the masking, softmax and softmax
 * gradient run in plain loops over Float32Arrays (only the causal half of each row is touched), and
 * the six products of every (batch row, head) run as 2-D [T, D]·[D, T], [T, T]·[T, D] matmuls on
 * the backend. On wasm those take XNNPACK (~16 GFLOP/s at these sizes), where a [B, H, T, T]
 * BatchMatMul takes tfjs-wasm's slow batched loop (~2 GFLOP/s) and the composed version also pays
 * for a dozen elementwise passes over [B, H, T, T]. Transposed operands are laid out on the host,
 * since a transposed operand is the slow case on wasm too. The forward keeps the probabilities for
 * the backward; no [B, H, T, T] tensor is ever made.
 *
 * Inputs and outputs are addressed through strided views, so the same code serves the op's
 * [B, H, T, D] tensors and GPT-2's packed [B·T, 3C] projection (q | k | v, heads side by side),
 * whose [B·T, C] output needs no transpose back.
 *
 * Shape legend: B batch, H query heads, Hkv key/value heads, G = H / Hkv, T time, D head size,
 * C = H·D channels. The mask is the [2, B, T] int32 tensor of attention.mask.ts.
 */
import * as tf from '@tensorflow/tfjs';
import { acquireBuffer, outputBuffer, readInto, releaseBuffer } from '../host';
import { mlasGemm } from '../host/mlas-gemm';
import { usesMlas } from '../host/mlas-ops';

/** Where element (b, h, t, d) of a [B, heads, T, D] operand lives in a flat array: offset + b·batch + h·head + t·time + d. */
export interface HeadLayout {
  offset: number;
  batchStride: number;
  headStride: number;
  timeStride: number;
}

/** The sizes of one host attention call. */
export interface HostAttentionDims {
  batch: number;
  heads: number;
  kvHeads: number;
  time: number;
  headDim: number;
  scale: number;
}

/** Returns the layout of a dense [B, heads, T, D] array. */
export function headsFirstLayout(heads: number, time: number, headDim: number): HeadLayout {
  return { offset: 0, batchStride: heads * time * headDim, headStride: time * headDim, timeStride: headDim };
}

/** Returns the layout of block `block` (0 q, 1 k, 2 v) of a packed [B·T, blocks·H·D] projection (heads side by side). */
export function packedLayout(block: number, blocks: number, heads: number, time: number, headDim: number): HeadLayout {
  const width = blocks * heads * headDim;
  return { offset: block * heads * headDim, batchStride: time * width, headStride: headDim, timeStride: width };
}

/** Reusable per-(b, h) buffers of one shape (T, D), so a call allocates only what it returns or keeps. */
interface Scratch {
  time: number;
  headDim: number;
  /** [T, D] operands. */
  first: Float32Array;
  second: Float32Array;
  third: Float32Array;
  /** [D, T] transposed operand. */
  transposed: Float32Array;
  /** [T, T] transposed probabilities or score gradients. */
  square: Float32Array;
  /** [T, T] transposed score gradients. */
  squareSecond: Float32Array;
  /** [T, T] scores, then probabilities (forward) or score gradients (backward). */
  scores: Float32Array;
  /** [T, D] product results. */
  result: Float32Array;
  /** [T] row statistics. */
  rows: Float64Array;
}

let scratch: Scratch | null = null;

function scratchFor(time: number, headDim: number): Scratch {
  if (scratch && scratch.time === time && scratch.headDim === headDim) return scratch;
  scratch = {
    time,
    headDim,
    first: new Float32Array(time * headDim),
    second: new Float32Array(time * headDim),
    third: new Float32Array(time * headDim),
    transposed: new Float32Array(time * headDim),
    square: new Float32Array(time * time),
    squareSecond: new Float32Array(time * time),
    scores: new Float32Array(time * time),
    result: new Float32Array(time * headDim),
    rows: new Float64Array(time),
  };
  return scratch;
}

/** Returns `target` holding the [M, K]·[K, N] product of a and b, computed on the active backend. */
function hostProduct(a: Float32Array, b: Float32Array, M: number, K: number, N: number, target: Float32Array): Float32Array {
  if (usesMlas()) return mlasGemm(a, b, target, { M, K, N });
  const left = tf.tensor2d(a, [M, K]);
  const right = tf.tensor2d(b, [K, N]);
  const product = tf.matMul(left, right);
  readInto(product, target);
  tf.dispose([left, right, product]);
  return target;
}

/** Copies the [T, D] slice (b, h) of a strided operand into `target` (dense, row-major). */
function gather(source: Float32Array, layout: HeadLayout, b: number, h: number, time: number, headDim: number, target: Float32Array): void {
  let from = layout.offset + b * layout.batchStride + h * layout.headStride;
  for (let t = 0; t < time; t++, from += layout.timeStride) target.set(source.subarray(from, from + headDim), t * headDim);
}

/** Copies the [T, D] slice (b, h) of a strided operand into `target` as [D, T]. */
function gatherTransposed(source: Float32Array, layout: HeadLayout, b: number, h: number, time: number, headDim: number, target: Float32Array): void {
  let from = layout.offset + b * layout.batchStride + h * layout.headStride;
  for (let t = 0; t < time; t++, from += layout.timeStride) {
    for (let d = 0; d < headDim; d++) target[d * time + t] = source[from + d]!;
  }
}

/** Writes (or, with accumulate, adds) a dense [T, D] block into slice (b, h) of a strided array. */
function scatter(
  block: Float32Array,
  target: Float32Array,
  layout: HeadLayout,
  b: number,
  h: number,
  time: number,
  headDim: number,
  accumulate: boolean,
): void {
  let to = layout.offset + b * layout.batchStride + h * layout.headStride;
  for (let t = 0; t < time; t++, to += layout.timeStride) {
    if (!accumulate) {
      target.set(block.subarray(t * headDim, (t + 1) * headDim), to);
      continue;
    }
    for (let d = 0; d < headDim; d++) target[to + d]! += block[t * headDim + d]!;
  }
}

/** Returns a dense [T, T] matrix transposed into `target`. */
function transposeSquare(source: Float32Array, time: number, target: Float32Array): Float32Array {
  for (let i = 0; i < time; i++) {
    for (let j = 0; j < time; j++) target[j * time + i] = source[i * time + j]!;
  }
  return target;
}

/** The visibility rules of one batch row: plain (every key valid, one segment: causal only) or per key. */
interface RowMask {
  plain: boolean;
  segments: Int32Array;
  valid: Int32Array;
}

/** Returns the per-row masks of a [2, B, T] int32 mask. */
function rowMasks(mask: Int32Array, batch: number, time: number): RowMask[] {
  const masks: RowMask[] = [];
  for (let b = 0; b < batch; b++) {
    const segments = mask.subarray(b * time, (b + 1) * time);
    const valid = mask.subarray((batch + b) * time, (batch + b + 1) * time);
    let plain = true;
    for (let j = 0; j < time && plain; j++) plain = valid[j] !== 0 && segments[j] === segments[0];
    masks.push({ plain, segments, valid });
  }
  return masks;
}

/**
 * Turns the scores [T, T] of one (b, h) into probabilities in place: row i keeps the keys j <= i
 * that the mask lets it see, softmaxed in float64 sums; everything else (and a row with no
 * visible key) becomes 0.
 */
function softmaxRows(scores: Float32Array, time: number, scale: number, mask: RowMask): void {
  for (let i = 0; i < time; i++) {
    const row = i * time;
    const segment = mask.segments[i];
    let max = -Infinity;
    for (let j = 0; j <= i; j++) {
      if (!mask.plain && (mask.valid[j] === 0 || mask.segments[j] !== segment)) continue;
      const score = scores[row + j]! * scale;
      if (score > max) max = score;
    }
    if (max === -Infinity) {
      scores.fill(0, row, row + time);
      continue;
    }
    let sum = 0;
    for (let j = 0; j <= i; j++) {
      if (!mask.plain && (mask.valid[j] === 0 || mask.segments[j] !== segment)) {
        scores[row + j] = 0;
        continue;
      }
      const weight = Math.exp(scores[row + j]! * scale - max);
      scores[row + j] = weight;
      sum += weight;
    }
    const inverse = 1 / sum;
    for (let j = 0; j <= i; j++) scores[row + j]! *= inverse;
    scores.fill(0, row + i + 1, row + time);
  }
}

/** The host arrays a forward keeps for its backward. */
export interface HostAttentionSaved {
  /** [B, H, T, T] probabilities (zero above the diagonal and where masked). */
  probabilities: Float32Array;
  masks: RowMask[];
}

/** Returns the saved probabilities after writing the attention output of q, k, v into `out` (all strided). */
export function hostAttentionForward(
  dims: HostAttentionDims,
  q: Float32Array,
  qLayout: HeadLayout,
  k: Float32Array,
  kLayout: HeadLayout,
  v: Float32Array,
  vLayout: HeadLayout,
  mask: Int32Array,
  out: Float32Array,
  outLayout: HeadLayout,
): HostAttentionSaved {
  const { batch, heads, kvHeads, time, headDim, scale } = dims;
  const group = heads / kvHeads;
  const buffers = scratchFor(time, headDim);
  const masks = rowMasks(mask, batch, time);
  const probabilities = acquireBuffer(batch * heads * time * time);
  for (let b = 0; b < batch; b++) {
    for (let h = 0; h < heads; h++) {
      const kvHead = Math.floor(h / group);
      gather(q, qLayout, b, h, time, headDim, buffers.first);
      gatherTransposed(k, kLayout, b, kvHead, time, headDim, buffers.transposed);
      const scores = hostProduct(buffers.first, buffers.transposed, time, headDim, time, buffers.scores);
      softmaxRows(scores, time, scale, masks[b]!);
      probabilities.set(scores, (b * heads + h) * time * time);
      gather(v, vLayout, b, kvHead, time, headDim, buffers.second);
      scatter(hostProduct(scores, buffers.second, time, time, headDim, buffers.result), out, outLayout, b, h, time, headDim, false);
    }
  }
  return { probabilities, masks };
}

/**
 * Writes dq, and adds dk and dv (which must start at zero; query heads of a group add into their
 * key/value head), for the upstream gradient dOut: dV = Pᵀ dOut, dP = dOut Vᵀ,
 * dS = scale · P ∘ (dP - rowsum(dOut ∘ out)), dQ = dS K, dK = dSᵀ Q.
 */
export function hostAttentionBackward(
  dims: HostAttentionDims,
  saved: HostAttentionSaved,
  operands: {
    q: Float32Array;
    qLayout: HeadLayout;
    k: Float32Array;
    kLayout: HeadLayout;
    v: Float32Array;
    vLayout: HeadLayout;
    out: Float32Array;
    outLayout: HeadLayout;
  },
  dOut: Float32Array,
  dOutLayout: HeadLayout,
  gradients: { dq: Float32Array; dqLayout: HeadLayout; dk: Float32Array; dkLayout: HeadLayout; dv: Float32Array; dvLayout: HeadLayout },
): void {
  const { batch, heads, kvHeads, time, headDim, scale } = dims;
  const group = heads / kvHeads;
  const buffers = scratchFor(time, headDim);
  const { first: upstream, second: forwardOut, third: operand, transposed, square, squareSecond, scores, result, rows } = buffers;
  for (let b = 0; b < batch; b++) {
    for (let h = 0; h < heads; h++) {
      const kvHead = Math.floor(h / group);
      const probabilities = saved.probabilities.subarray((b * heads + h) * time * time, (b * heads + h + 1) * time * time);
      gather(dOut, dOutLayout, b, h, time, headDim, upstream);
      gather(operands.out, operands.outLayout, b, h, time, headDim, forwardOut);
      for (let i = 0; i < time; i++) {
        let dot = 0;
        for (let d = 0; d < headDim; d++) dot += upstream[i * headDim + d]! * forwardOut[i * headDim + d]!;
        rows[i] = dot;
      }
      const dv = hostProduct(transposeSquare(probabilities, time, square), upstream, time, time, headDim, result);
      scatter(dv, gradients.dv, gradients.dvLayout, b, kvHead, time, headDim, true);
      gatherTransposed(operands.v, operands.vLayout, b, kvHead, time, headDim, transposed);
      const dScores = hostProduct(upstream, transposed, time, headDim, time, scores);
      for (let i = 0; i < time; i++) {
        const row = i * time;
        const delta = rows[i]!;
        for (let j = 0; j <= i; j++) dScores[row + j] = scale * probabilities[row + j]! * (dScores[row + j]! - delta);
        dScores.fill(0, row + i + 1, row + time);
      }
      gather(operands.k, operands.kLayout, b, kvHead, time, headDim, operand);
      scatter(hostProduct(dScores, operand, time, time, headDim, result), gradients.dq, gradients.dqLayout, b, h, time, headDim, false);
      gather(operands.q, operands.qLayout, b, h, time, headDim, operand);
      const dk = hostProduct(transposeSquare(dScores, time, squareSecond), operand, time, time, headDim, result);
      scatter(dk, gradients.dk, gradients.dkLayout, b, kvHead, time, headDim, true);
    }
  }
}

/**
 * Returns causal attention of q [B, H, T, D] over k, v [B, Hkv, T, D] under the [2, B, T] mask,
 * computed on the host (see the file comment), with its gradient (zeros for the mask).
 */
export function hostAttention(q: tf.Tensor4D, k: tf.Tensor4D, v: tf.Tensor4D, mask: tf.Tensor3D, scale: number): tf.Tensor4D {
  const attend = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
    const [query, key, value, visibility] = args as [tf.Tensor4D, tf.Tensor4D, tf.Tensor4D, tf.Tensor3D];
    const [batch, heads, time, headDim] = query.shape;
    const kvHeads = key.shape[1];
    const dims: HostAttentionDims = { batch, heads, kvHeads, time, headDim, scale };
    const queryLayout = headsFirstLayout(heads, time, headDim);
    const keyLayout = headsFirstLayout(kvHeads, time, headDim);
    const operands = {
      q: query.dataSync() as Float32Array,
      qLayout: queryLayout,
      k: key.dataSync() as Float32Array,
      kLayout: keyLayout,
      v: value.dataSync() as Float32Array,
      vLayout: keyLayout,
      out: new Float32Array(query.size),
      outLayout: queryLayout,
    };
    const saved = hostAttentionForward(
      dims,
      operands.q,
      queryLayout,
      operands.k,
      keyLayout,
      operands.v,
      keyLayout,
      visibility.dataSync() as Int32Array,
      operands.out,
      queryLayout,
    );
    return {
      value: tf.tensor4d(operands.out, query.shape),
      gradFunc: (dy: tf.Tensor) => {
        const gradients = {
          dq: new Float32Array(query.size),
          dqLayout: queryLayout,
          dk: new Float32Array(key.size),
          dkLayout: keyLayout,
          dv: new Float32Array(value.size),
          dvLayout: keyLayout,
        };
        hostAttentionBackward(dims, saved, operands, dy.dataSync() as Float32Array, queryLayout, gradients);
        releaseBuffer(saved.probabilities);
        return [
          tf.tensor4d(gradients.dq, query.shape),
          tf.tensor4d(gradients.dk, key.shape),
          tf.tensor4d(gradients.dv, value.shape),
          tf.zeros(visibility.shape),
        ];
      },
    };
  });
  return attend(q, k, v, mask) as tf.Tensor4D;
}

/**
 * Returns causal self-attention [B·T, C] of GPT-2's packed projection qkv [B·T, 3C] (q | k | v, each
 * with its H heads of width D side by side) under the [2, B, T] mask, computed on the host with its
 * gradient: no split of qkv, no transposes to [B, H, T, D] and back, in either direction.
 */
export function hostAttentionPacked(qkv: tf.Tensor2D, mask: tf.Tensor3D, heads: number, scale: number): tf.Tensor2D {
  const attend = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
    const [packed, visibility] = args as [tf.Tensor2D, tf.Tensor3D];
    const [, batch, time] = visibility.shape;
    const channels = packed.shape[1] / 3;
    const headDim = channels / heads;
    const dims: HostAttentionDims = { batch, heads, kvHeads: heads, time, headDim, scale };
    const values = readInto(packed, acquireBuffer(packed.size));
    const [qLayout, kLayout, vLayout] = [0, 1, 2].map((block) => packedLayout(block, 3, heads, time, headDim)) as [HeadLayout, HeadLayout, HeadLayout];
    const outLayout = packedLayout(0, 1, heads, time, headDim);
    const out = new Float32Array(batch * time * channels);
    const saved = hostAttentionForward(dims, values, qLayout, values, kLayout, values, vLayout, visibility.dataSync() as Int32Array, out, outLayout);
    return {
      value: tf.tensor2d(out, [batch * time, channels]),
      gradFunc: (dy: tf.Tensor) => {
        const dPacked = outputBuffer(values.length).fill(0);
        const operands = { q: values, qLayout, k: values, kLayout, v: values, vLayout, out, outLayout };
        const gradients = { dq: dPacked, dqLayout: qLayout, dk: dPacked, dkLayout: kLayout, dv: dPacked, dvLayout: vLayout };
        hostAttentionBackward(dims, saved, operands, dy.dataSync() as Float32Array, outLayout, gradients);
        releaseBuffer(values, saved.probabilities);
        return [tf.tensor2d(dPacked, packed.shape), tf.zeros(visibility.shape)];
      },
    };
  });
  return attend(qkv, mask) as tf.Tensor2D;
}
