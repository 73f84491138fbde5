/**
 * The subgroup-matrix GEMM self-test: its comparison catches a wrong kernel (a candidate that ignores
 * a transpose, or returns a wrong value) and passes a right one, run for real on the webgpu device
 * (lavapipe here, with tiled kernels as candidates, since lavapipe has no subgroup matrices); and
 * selectBackend reports it. The subgroup-matrix kernel itself is compared only where the adapter
 * offers the feature (skipped with the reason elsewhere).
 */
import { describe, expect, it } from 'vitest';
import { currentSelection } from '../../backend';
import { forEachBackend } from '../testing';
import { compareWithTiledF16, registerSubgroupMatrixSelfTest, SELF_TEST_PROBLEMS, worstRelativeError } from './matmul-self-test';
import { currentSubgroupMatrixSelfTest, matmulVariantUnsupported, SUBGROUP_MATRIX_SELF_TEST } from './matmul.variant';
import { tiledMatmulProgram } from './matmul.wgsl';

describe('worstRelativeError', () => {
  it('is within 1 for f32 rounding differences and far above for a wrong element, NaN or a length mismatch', () => {
    const expected = Float32Array.from([1, -2, 300, 0]);
    expect(worstRelativeError(Float32Array.from([1.0005, -2, 300.2, 0.001]), expected, 16)).toBeLessThan(1);
    expect(worstRelativeError(Float32Array.from([1, -2, 301, 0]), expected, 16)).toBeGreaterThan(1);
    expect(worstRelativeError(Float32Array.from([1, Number.NaN, 300, 0]), expected, 16)).toBe(Number.POSITIVE_INFINITY);
    expect(worstRelativeError(Float32Array.from([1, -2, 300]), expected, 16)).toBe(Number.POSITIVE_INFINITY);
  });

  it('covers every transpose, odd sizes and a batched problem', () => {
    const kinds = new Set(SELF_TEST_PROBLEMS.map((problem) => `${problem.transposeA}${problem.transposeB}`));
    expect(kinds.size).toBe(4);
    expect(SELF_TEST_PROBLEMS.some((problem) => problem.a.length === 3)).toBe(true);
    for (const problem of SELF_TEST_PROBLEMS) expect(problem.a.concat(problem.b).every((size) => size % 8 !== 0)).toBe(true);
  });
});

// As matmul.op.ts does when it loads (before selectBackend runs the self-tests).
registerSubgroupMatrixSelfTest();

await forEachBackend(['webgpu'], (context) => {
  it('passes a correct candidate (the tiled f16 kernel itself)', async () => {
    const outcome = await compareWithTiledF16((dims) => tiledMatmulProgram(dims, true));
    expect(outcome).toEqual({ passed: true, detail: expect.stringMatching(/agrees with tiled-f16 on 5 odd-sized problems/) });
  });

  it('fails a candidate that ignores transposes, naming the problem', async () => {
    const outcome = await compareWithTiledF16((dims) => tiledMatmulProgram({ ...dims, transposeA: false, transposeB: false }, true));
    expect(outcome.passed).toBe(false);
    expect(outcome.detail).toMatch(/differs from tiled-f16 on \[\d+,\d+\]ᵀ?·\[\d+,\d+\]ᵀ by \d/);
  });

  it('passes the tiled f32 kernel, which differs only by the f16 rounding of the operands (within the tolerance)', async () => {
    const outcome = await compareWithTiledF16((dims) => tiledMatmulProgram(dims, false));
    expect(outcome.passed).toBe(true);
  });

  it('is in the backend report, and gates the subgroup-matrix variant', async (ctx) => {
    const selection = currentSelection()!;
    const report = selection.selfTests.find((entry) => entry.name === SUBGROUP_MATRIX_SELF_TEST);
    expect(report).toBeDefined();
    if (!context.features!.hasSubgroupMatrix) {
      expect(report!.status).toBe('not-applicable');
      expect(selection.reason).toMatch(/subgroup-matrix GEMM self-test not run/);
      ctx.skip(`this adapter has no subgroup matrices: ${report!.detail}`);
    }
    // Where the feature exists the self-test compiled and compared the real kernel.
    expect(report!.status).toBe('passed');
    expect(currentSubgroupMatrixSelfTest()?.status).toBe('passed');
    expect(matmulVariantUnsupported('subgroup-matrix-f16', context.features!)).toBeNull();
  });
});
