/** Seeded attention inputs and their float64 reference results, for the attention tests. */
import { randomArray } from '../../testing';
import {
  attentionBackwardReference,
  attentionForwardReference,
  type AttentionForwardResult,
  type AttentionGradients,
  type AttentionMaskOptions,
  type AttentionShape,
} from '../attention.reference';

/** q, k, v and the upstream gradient (`weights`) of one attention test. */
export interface AttentionInputs {
  /** [B, H, T, D] */
  q: Float32Array;
  /** [B, Hkv, T, D] */
  k: Float32Array;
  /** [B, Hkv, T, D] */
  v: Float32Array;
  /** [B, H, T, D]: the loss is Σ out · weights, so this is dOut. */
  weights: Float32Array;
}

/** Returns seeded random inputs for `shape`: q, k, v and weights from seeds `seed` … `seed + 3`. */
export function attentionInputs(shape: AttentionShape, seed: number): AttentionInputs {
  const { batch: B, heads: H, kvHeads: Hkv, time: T, headDim: D } = shape;
  return {
    q: randomArray([B, H, T, D], { seed }),
    k: randomArray([B, Hkv, T, D], { seed: seed + 1 }),
    v: randomArray([B, Hkv, T, D], { seed: seed + 2 }),
    weights: randomArray([B, H, T, D], { seed: seed + 3 }),
  };
}

/** Returns attentionInputs(shape, seed) with the reference output, log-sum-exp and gradients under `options`. */
export function attentionReferenceCase(
  shape: AttentionShape,
  seed: number,
  options: AttentionMaskOptions = {},
): AttentionInputs & { expected: AttentionForwardResult; gradients: AttentionGradients } {
  const inputs = attentionInputs(shape, seed);
  const { q, k, v, weights } = inputs;
  const expected = attentionForwardReference(q, k, v, shape, options);
  const gradients = attentionBackwardReference(q, k, v, expected.out, expected.logSumExp, weights, shape, options);
  return { ...inputs, expected, gradients };
}

/** Returns [B·T, (H + 2·Hkv)·D] row-major values holding q, k, v given as [B, heads, T, D]. */
export function packRows(shape: AttentionShape, q: ArrayLike<number>, k: ArrayLike<number>, v: ArrayLike<number>): Float32Array {
  const { batch: B, heads: H, kvHeads: Hkv, time: T, headDim: D } = shape;
  const width = (H + 2 * Hkv) * D;
  const packed = new Float32Array(B * T * width);
  const put = (source: ArrayLike<number>, heads: number, column: number) => {
    for (let b = 0; b < B; b++)
      for (let h = 0; h < heads; h++)
        for (let t = 0; t < T; t++) for (let d = 0; d < D; d++) packed[(b * T + t) * width + column + h * D + d] = source[((b * heads + h) * T + t) * D + d]!;
  };
  put(q, H, 0);
  put(k, Hkv, H * D);
  put(v, Hkv, (H + Hkv) * D);
  return packed;
}

/** Returns [B·T, heads·D] row-major values of x given as [B, heads, T, D]. */
export function rowsOf(x: ArrayLike<number>, B: number, heads: number, T: number, D: number): Float32Array {
  const out = new Float32Array(x.length);
  for (let b = 0; b < B; b++)
    for (let h = 0; h < heads; h++)
      for (let t = 0; t < T; t++) for (let d = 0; d < D; d++) out[(b * T + t) * heads * D + h * D + d] = x[((b * heads + h) * T + t) * D + d]!;
  return out;
}
