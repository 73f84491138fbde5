/**
 * The subgroup-matrix GEMM self-test: its comparison catches a wrong kernel (a candidate that ignores
 * a transpose, or returns a wrong value) and passes a right one, run for real on the webgpu device
 * (lavapipe here, with tiled kernels as candidates, since lavapipe has no subgroup matrices); and
 * selectBackend reports it. The subgroup-matrix kernel itself is compared only where the adapter
 * offers the feature (skipped with the reason elsewhere); its emulated lowering (the same template with
 * emulated matrix primitives) is compared here.
 */
import { describe, expect, it } from 'vitest';
import { currentSelection } from '../../backend';
import { forEachBackend } from '../testing';
import { compareWithTiledF16, registerSubgroupMatrixSelfTest, SELF_TEST_PROBLEMS, worstRelativeError } from './matmul-self-test';
import { currentSubgroupMatrixSelfTest, matmulVariantUnsupported, SUBGROUP_MATRIX_SELF_TEST } from './matmul.variant';
import { matmulDims } from './matmul.reference';
import { tiledMatmulProgram } from './matmul.wgsl';
import { chooseMmaGemmTiling, mmaGemmProgram } from './mma-gemm.wgsl';

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
    // vec4 loads (every size a multiple of 4) over more than one 128×128 output tile and 32-deep K slab, both transposed.
    const vectorised = SELF_TEST_PROBLEMS.filter((problem) => problem.a.concat(problem.b).every((size) => size % 4 === 0));
    expect(vectorised.map((problem) => `${problem.transposeA}${problem.transposeB}`)).toEqual(['falsefalse', 'truetrue']);
    for (const problem of vectorised) {
      const dims = matmulDims(problem.a, problem.b, problem.transposeA, problem.transposeB);
      expect(dims.M > 128 && dims.N > 128 && dims.K > 64).toBe(true);
    }
    expect(SELF_TEST_PROBLEMS.filter((problem) => problem.epilogue !== undefined)).toEqual([
      expect.objectContaining({ epilogue: { bias: true, activation: 'tanh', residual: true } }),
    ]);
  });
});

// As matmul.op.ts does when it loads (before selectBackend runs the self-tests).
registerSubgroupMatrixSelfTest();

await forEachBackend(['webgpu'], (context) => {
  it('passes a correct candidate (the tiled f16 kernel itself)', async () => {
    const outcome = await compareWithTiledF16((dims, epilogue) => tiledMatmulProgram(dims, true, epilogue));
    expect(outcome).toEqual({ passed: true, detail: expect.stringMatching(/agrees with tiled-f16 on 8 problems: odd and multiple-of-4 sizes/) });
  });

  it('fails a candidate that ignores transposes, naming the problem', async () => {
    const outcome = await compareWithTiledF16((dims, epilogue) => tiledMatmulProgram({ ...dims, transposeA: false, transposeB: false }, true, epilogue));
    expect(outcome.passed).toBe(false);
    expect(outcome.detail).toMatch(/differs from tiled-f16 on \[\d+,\d+\]ᵀ?·\[\d+,\d+\]ᵀ by \d/);
  });

  it('passes the tiled f32 kernel, which differs only by the f16 rounding of the operands (within the tolerance)', async () => {
    const outcome = await compareWithTiledF16((dims, epilogue) => tiledMatmulProgram(dims, false, epilogue));
    expect(outcome.passed).toBe(true);
  });

  it('fails a candidate that drops the GELU of the epilogue, naming the problem', async () => {
    const outcome = await compareWithTiledF16((dims, epilogue) => {
      const { activation: _dropped, ...withoutGelu } = epilogue;
      return tiledMatmulProgram(dims, true, withoutGelu);
    });
    expect(outcome).toEqual({ passed: false, detail: expect.stringMatching(/differs from tiled-f16 on \[37,45\]·\[45,29\] with bias, GELU and residual by/) });
  });

  it('passes the subgroup-matrix GEMM through its emulated primitives (the template the device compiles, lavapipe-runnable)', async (ctx) => {
    if (!context.features!.hasF16) ctx.skip('this adapter lacks shader-f16');
    // 64×64×32 tiles of 8×8×8 fragments: lavapipe compiles the emulation of a 128×128 tile for minutes.
    const tiling = chooseMmaGemmTiling({ M: 8, N: 8, K: 8 }, 2, 17408);
    const outcome = await compareWithTiledF16((dims, epilogue) => mmaGemmProgram(dims, { lowering: 'emulated', tiling, epilogue }));
    expect(outcome).toEqual({ passed: true, detail: expect.stringMatching(/agrees with tiled-f16 on 8 problems/) });
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
