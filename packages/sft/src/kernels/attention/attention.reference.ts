/**
 * Causal multi-head self-attention, forward and backward, in plain TypeScript: the readable
 * definition that the WGSL kernels and the composed-tfjs fallback are tested against.
 *
 * Shape legend: B batch, H query heads, Hkv key/value heads (H is a multiple of Hkv; query head h
 * reads key/value head floor(h / (H / Hkv)), as in grouped-query attention), T time, D head size.
 * Tensors are dense row-major: q, out, dOut [B, H, T, D]; k, v [B, Hkv, T, D]; logSumExp [B, H, T].
 *
 * Query i of batch row b attends key j when all of these hold:
 *   - j <= i (causal);
 *   - key j is not padding: j < validLengths[b], and keyMask[b, j] != 0 when a key mask is given;
 *   - segmentIds[b, j] == segmentIds[b, i] when segment ids are given (packed records never mix).
 * A query with no key to attend (possible with a key mask or segments) gets out = 0 and
 * logSumExp = -Infinity, and passes no gradient.
 *
 * Arithmetic is float64 throughout (the results are Float64Array), so the reference is also exact
 * enough for finite-difference checks.
 */
import { ShapeError } from '@steerlm/core';

/** The sizes of one attention call. */
export interface AttentionShape {
  /** B */
  batch: number;
  /** H */
  heads: number;
  /** Hkv */
  kvHeads: number;
  /** T */
  time: number;
  /** D */
  headDim: number;
}

/** Which keys each query may see, beyond causality, and the softmax scale. */
export interface AttentionMaskOptions {
  /** [B]: keys at positions >= validLengths[b] are padding. */
  validLengths?: ArrayLike<number>;
  /** [B, T] row-major: keys with keyMask[b, j] == 0 are padding. */
  keyMask?: ArrayLike<number>;
  /** [B, T] row-major: a query only attends keys of its own segment (packed sequences). */
  segmentIds?: ArrayLike<number>;
  /** Multiplies q·k before the softmax; 1/sqrt(D) when left out. */
  scale?: number;
}

/** What the forward pass returns: the attention output and the per-row log-sum-exp. */
export interface AttentionForwardResult {
  /** [B, H, T, D] */
  out: Float64Array;
  /** [B, H, T]: log(sum_j exp(scale * q_i·k_j)) over the attended keys; -Infinity if none. */
  logSumExp: Float64Array;
}

/** What the backward pass returns: gradients of the loss with respect to q, k and v. */
export interface AttentionGradients {
  /** [B, H, T, D] */
  dq: Float64Array;
  /** [B, Hkv, T, D], summed over the query heads that share each key/value head. */
  dk: Float64Array;
  /** [B, Hkv, T, D], summed over the query heads that share each key/value head. */
  dv: Float64Array;
}

/** Returns the scale applied to q·k: the given one, or 1/sqrt(D). */
export function attentionScale(headDim: number, scale?: number): number {
  return scale ?? 1 / Math.sqrt(headDim);
}

/** Returns a [B, T] row-major 0/1 array: 1 where a key may be attended (not padding). */
export function keyValidity(shape: AttentionShape, options: AttentionMaskOptions = {}): Uint8Array {
  const { batch, time } = shape;
  const valid = new Uint8Array(batch * time).fill(1);
  for (let b = 0; b < batch; b++) {
    const length = options.validLengths === undefined ? time : options.validLengths[b]!;
    for (let j = 0; j < time; j++) {
      const masked = options.keyMask !== undefined && options.keyMask[b * time + j] === 0;
      if (j >= length || masked) valid[b * time + j] = 0;
    }
  }
  return valid;
}

/** Returns true when query i of batch row b may attend key j under the causal, padding and segment rules. */
export function canAttend(b: number, i: number, j: number, time: number, validKeys: Uint8Array, segmentIds: ArrayLike<number> | undefined): boolean {
  if (j > i || validKeys[b * time + j] === 0) return false;
  return segmentIds === undefined || segmentIds[b * time + j] === segmentIds[b * time + i];
}

/** Throws a ShapeError unless the arrays and options fit the shape; returns the query heads per key/value head. */
export function checkAttentionShape(shape: AttentionShape, sizes: { q: number; k: number; v: number }, options: AttentionMaskOptions = {}): number {
  const { batch, heads, kvHeads, time, headDim } = shape;
  for (const [name, value] of Object.entries(shape)) {
    if (!Number.isInteger(value) || value < 1) {
      throw new ShapeError(`attention: ${name} must be a positive integer, got ${value}`, { field: name });
    }
  }
  if (heads % kvHeads !== 0) {
    throw new ShapeError(`attention: query heads H=${heads} is not a multiple of key/value heads Hkv=${kvHeads}`, {
      field: 'heads',
      hint: 'grouped-query attention needs H = Hkv * group size',
    });
  }
  const expected = { q: batch * heads * time * headDim, k: batch * kvHeads * time * headDim, v: batch * kvHeads * time * headDim };
  for (const name of ['q', 'k', 'v'] as const) {
    if (sizes[name] !== expected[name]) {
      throw new ShapeError(`attention: ${name} has ${sizes[name]} elements, expected ${expected[name]} for the given shape`, {
        field: name,
      });
    }
  }
  const perRow: Array<[string, ArrayLike<number> | undefined, number]> = [
    ['validLengths', options.validLengths, batch],
    ['keyMask', options.keyMask, batch * time],
    ['segmentIds', options.segmentIds, batch * time],
  ];
  for (const [name, array, length] of perRow) {
    if (array !== undefined && array.length !== length) {
      throw new ShapeError(`attention: ${name} has ${array.length} entries, expected ${length}`, { field: name });
    }
  }
  return heads / kvHeads;
}

/** Returns what both reference passes start from: the checked query-group size, the softmax scale and the valid keys. */
function referenceSetup(q: ArrayLike<number>, k: ArrayLike<number>, v: ArrayLike<number>, shape: AttentionShape, options: AttentionMaskOptions) {
  const group = checkAttentionShape(shape, { q: q.length, k: k.length, v: v.length }, options);
  return { group, scale: attentionScale(shape.headDim, options.scale), validKeys: keyValidity(shape, options) };
}

/**
 * Calls `visit` for every query row, in order: its batch `b` and position `i`, its index `row` in [B·H·T], the
 * offset `qi` of its q (and out, dOut) row and the offset `kvBase` of its key/value head's [T, D] block.
 */
function forEachQueryRow(shape: AttentionShape, group: number, visit: (b: number, i: number, row: number, qi: number, kvBase: number) => void): void {
  const { batch, heads, kvHeads, time, headDim } = shape;
  for (let b = 0; b < batch; b++) {
    for (let h = 0; h < heads; h++) {
      const kvBase = (b * kvHeads + Math.floor(h / group)) * time * headDim;
      const qBase = (b * heads + h) * time * headDim;
      for (let i = 0; i < time; i++) visit(b, i, (b * heads + h) * time + i, qBase + i * headDim, kvBase);
    }
  }
}

/** Returns the causal attention output [B, H, T, D] and the log-sum-exp [B, H, T] that the backward pass uses. */
export function attentionForwardReference(
  q: ArrayLike<number>,
  k: ArrayLike<number>,
  v: ArrayLike<number>,
  shape: AttentionShape,
  options: AttentionMaskOptions = {},
): AttentionForwardResult {
  const { group, scale, validKeys } = referenceSetup(q, k, v, shape, options);
  const { batch, heads, time, headDim } = shape;
  const out = new Float64Array(batch * heads * time * headDim);
  const logSumExp = new Float64Array(batch * heads * time);
  const scores = new Float64Array(time);

  forEachQueryRow(shape, group, (b, i, row, qi, kvBase) => {
    let max = -Infinity;
    for (let j = 0; j <= i; j++) {
      if (!canAttend(b, i, j, time, validKeys, options.segmentIds)) continue;
      let dot = 0;
      for (let d = 0; d < headDim; d++) dot += q[qi + d]! * k[kvBase + j * headDim + d]!;
      scores[j] = dot * scale;
      max = Math.max(max, scores[j]!);
    }
    if (max === -Infinity) {
      logSumExp[row] = -Infinity;
      return;
    }
    let sum = 0;
    for (let j = 0; j <= i; j++) {
      if (canAttend(b, i, j, time, validKeys, options.segmentIds)) sum += Math.exp(scores[j]! - max);
    }
    logSumExp[row] = max + Math.log(sum);
    for (let j = 0; j <= i; j++) {
      if (!canAttend(b, i, j, time, validKeys, options.segmentIds)) continue;
      const p = Math.exp(scores[j]! - logSumExp[row]!);
      for (let d = 0; d < headDim; d++) out[qi + d]! += p * v[kvBase + j * headDim + d]!;
    }
  });
  return { out, logSumExp };
}

/**
 * Returns dq, dk, dv for the upstream gradient dOut, recomputing the probabilities from the saved
 * log-sum-exp: P = exp(S - lse), dV = Pᵀ dOut, dP = dOut Vᵀ, dS = P ∘ (dP - rowsum(dOut ∘ out)),
 * dQ = scale · dS K, dK = scale · dSᵀ Q.
 */
export function attentionBackwardReference(
  q: ArrayLike<number>,
  k: ArrayLike<number>,
  v: ArrayLike<number>,
  out: ArrayLike<number>,
  logSumExp: ArrayLike<number>,
  dOut: ArrayLike<number>,
  shape: AttentionShape,
  options: AttentionMaskOptions = {},
): AttentionGradients {
  const { group, scale, validKeys } = referenceSetup(q, k, v, shape, options);
  const { time, headDim } = shape;
  const dq = new Float64Array(q.length);
  const dk = new Float64Array(k.length);
  const dv = new Float64Array(v.length);

  forEachQueryRow(shape, group, (b, i, row, qi, kvBase) => {
    let delta = 0; // rowsum(dOut ∘ out) = Σ_j P_ij dP_ij
    for (let d = 0; d < headDim; d++) delta += dOut[qi + d]! * out[qi + d]!;
    for (let j = 0; j <= i; j++) {
      if (!canAttend(b, i, j, time, validKeys, options.segmentIds)) continue;
      const kj = kvBase + j * headDim;
      let dot = 0;
      let dp = 0;
      for (let d = 0; d < headDim; d++) {
        dot += q[qi + d]! * k[kj + d]!;
        dp += dOut[qi + d]! * v[kj + d]!;
      }
      const p = Math.exp(dot * scale - logSumExp[row]!);
      const ds = p * (dp - delta);
      for (let d = 0; d < headDim; d++) {
        dv[kj + d]! += p * dOut[qi + d]!;
        dq[qi + d]! += scale * ds * k[kj + d]!;
        dk[kj + d]! += scale * ds * q[qi + d]!;
      }
    }
  });
  return { dq, dk, dv };
}
