/**
 * Parity of the MLAS products (onnxruntime's native Gemm / MatMul called synchronously) with the
 * float64-summed reference on odd shapes: every transpose combination, with and without the bias
 * row, results written into a larger array, and batched products. Tolerance atol 1e-5·sqrt(K), rtol 1e-5.
 */
import { describe, expect, it } from 'vitest';
import { matmulDims, matmulReference } from '../matmul/matmul.reference';
import { expectClose, randomArray } from '../testing';
import { mlasAvailable, mlasBatchedMatmul, mlasGemm, mlasThreads, setMlasThreads } from './mlas-gemm';

const SHAPES = [
  { M: 37, K: 19, N: 23 },
  { M: 1, K: 65, N: 130 },
  { M: 129, K: 3, N: 1 },
];

describe('MLAS products', () => {
  it('load in Node through onnxruntime-node', () => {
    expect(mlasAvailable()).toBe(true);
  });

  describe.each(SHAPES)('M=$M K=$K N=$N', ({ M, K, N }) => {
    it.each([
      [false, false],
      [true, false],
      [false, true],
      [true, true],
    ])('transposeA=%s transposeB=%s: op(A)·op(B), and + bias', (transposeA, transposeB) => {
      const a = randomArray(transposeA ? [K, M] : [M, K], { seed: M + K, distribution: 'normal' });
      const b = randomArray(transposeB ? [N, K] : [K, N], { seed: K + N, distribution: 'normal' });
      const bias = randomArray([N], { seed: 7 });
      const expected = matmulReference(a, b, matmulDims(transposeA ? [K, M] : [M, K], transposeB ? [N, K] : [K, N], transposeA, transposeB));
      // The result lands in the first M·N entries of a larger array; the rest stays untouched.
      const c = new Float32Array(M * N + 3).fill(-7);
      mlasGemm(a, b, c, { M, K, N, transposeA, transposeB });
      const tolerance = { atol: 1e-5 * Math.sqrt(K), rtol: 1e-5 };
      expectClose(c.subarray(0, M * N), expected, { ...tolerance, label: 'product' });
      expect([...c.subarray(M * N)]).toEqual([-7, -7, -7]);
      mlasGemm(a, b, c, { M, K, N, transposeA, transposeB }, bias);
      const withBias = expected.map((value, index) => value + bias[index % N]!);
      expectClose(c.subarray(0, M * N), withBias, { ...tolerance, label: 'product + bias' });
    });
  });

  it('reads operands through subarray views (offsets into a shared buffer)', () => {
    const [M, K, N] = [5, 7, 3];
    const shared = randomArray([M * K + K * N + 11], { seed: 3 });
    const a = shared.subarray(11, 11 + M * K);
    const b = shared.subarray(11 + M * K);
    const c = new Float32Array(M * N);
    mlasGemm(a, b, c, { M, K, N });
    expectClose(c, matmulReference(a.slice(), b.slice(), matmulDims([M, K], [K, N], false, false)), { atol: 1e-5, rtol: 1e-5 });
  });

  it('handles empty products as onnxruntime does: no rows, and an empty reduction (zeros, or the bias row)', () => {
    const c = new Float32Array(6).fill(9);
    mlasGemm(new Float32Array(0), new Float32Array(6), c, { M: 0, K: 2, N: 3 });
    expect([...c]).toEqual([9, 9, 9, 9, 9, 9]);
    mlasGemm(new Float32Array(0), new Float32Array(0), c, { M: 2, K: 0, N: 3 });
    expect([...c]).toEqual([0, 0, 0, 0, 0, 0]);
    mlasGemm(new Float32Array(0), new Float32Array(0), c, { M: 2, K: 0, N: 3 }, new Float32Array([1, 2, 3]));
    expect([...c]).toEqual([1, 2, 3, 1, 2, 3]);
    const batched = new Float32Array(4).fill(5);
    mlasBatchedMatmul(new Float32Array(0), new Float32Array(0), batched, 2, 1, 0, 2);
    expect([...batched]).toEqual([0, 0, 0, 0]);
  });

  it('runs a batched product in one call: [B, M, K]·[B, K, N]', () => {
    const [batch, M, K, N] = [3, 17, 9, 13];
    const a = randomArray([batch, M, K], { seed: 1, distribution: 'normal' });
    const b = randomArray([batch, K, N], { seed: 2, distribution: 'normal' });
    const c = new Float32Array(batch * M * N);
    mlasBatchedMatmul(a, b, c, batch, M, K, N);
    expectClose(c, matmulReference(a, b, matmulDims([batch, M, K], [batch, K, N], false, false)), { atol: 1e-5 * 3, rtol: 1e-5 });
  });

  it('gives the same products with two intra-op threads', () => {
    const [M, K, N] = [300, 70, 90];
    const a = randomArray([M, K], { seed: 4 });
    const b = randomArray([K, N], { seed: 5 });
    const one = new Float32Array(M * N);
    mlasGemm(a, b, one, { M, K, N });
    const previous = setMlasThreads(2);
    try {
      expect(mlasThreads()).toBe(2);
      const two = new Float32Array(M * N);
      mlasGemm(a, b, two, { M, K, N });
      expectClose(two, one, { atol: 1e-5, rtol: 1e-5 });
    } finally {
      setMlasThreads(previous);
    }
  });
});
