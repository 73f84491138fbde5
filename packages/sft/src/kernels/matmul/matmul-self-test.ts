/**
 * Shape legend: B batch, M rows of C, K reduction length, N columns of C.
 * The subgroup-matrix GEMM self-test: the first time a device offering subgroup matrices is used
 * (selectBackend runs it), the 'subgroup-matrix-f16' kernel is compared with the tiled f16 kernel
 * (same f16 operands, f32 accumulation) on small seeded problems with odd sizes and every
 * transpose; if any result differs, or the kernel does not compile, chooseMatmulVariant never picks
 * it on that device and the backend report says so.
 */
import * as tf from '@tensorflow/tfjs';
import { registerDeviceSelfTest } from '../../backend/device-self-tests';
import { checkCompiledPrograms, getWebGPUBackend, runProgramOnTensors, webgpuFeatures, type WgslProgram } from '../runtime';
import { matmulDims, type MatmulDims } from './matmul.reference';
import { f16SubgroupMatrixConfig, matmulVariantUnsupported, SUBGROUP_MATRIX_SELF_TEST } from './matmul.variant';
import { subgroupMatrixMatmulProgram, tiledMatmulProgram } from './matmul.wgsl';

/** The problems compared: odd sizes (no tile divides them), every transpose, and a batched one. */
export const SELF_TEST_PROBLEMS: ReadonlyArray<{ a: number[]; b: number[]; transposeA: boolean; transposeB: boolean }> = [
  { a: [37, 45], b: [45, 29], transposeA: false, transposeB: false },
  { a: [45, 37], b: [45, 29], transposeA: true, transposeB: false },
  { a: [37, 45], b: [29, 45], transposeA: false, transposeB: true },
  { a: [45, 37], b: [29, 45], transposeA: true, transposeB: true },
  { a: [2, 19, 70], b: [2, 70, 33], transposeA: false, transposeB: false },
];

/** Returns the largest |actual - expected| / (atol + rtol·|expected|) (≤ 1 means within tolerance). */
export function worstRelativeError(actual: Float32Array, expected: Float32Array, K: number): number {
  if (actual.length !== expected.length) return Number.POSITIVE_INFINITY;
  const atol = 1e-3 * Math.sqrt(K);
  let worst = 0;
  for (let index = 0; index < expected.length; index++) {
    const error = Math.abs(actual[index]! - expected[index]!) / (atol + 1e-3 * Math.abs(expected[index]!));
    if (!(error <= worst)) worst = Number.isNaN(error) ? Number.POSITIVE_INFINITY : error;
  }
  return worst;
}

/** Seeded values in [-1, 1) (a small LCG, so the self-test needs no test helpers). */
function seeded(count: number, seed: number): Float32Array {
  let state = seed >>> 0;
  return Float32Array.from({ length: count }, () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 31 - 1;
  });
}

/**
 * Resolves to whether `candidate` agrees with the tiled f16 kernel on every SELF_TEST_PROBLEMS
 * problem (on the active webgpu backend), with the worst error in words.
 */
export async function compareWithTiledF16(candidate: (dims: MatmulDims) => WgslProgram): Promise<{ passed: boolean; detail: string }> {
  let worst = 0;
  let worstProblem = '';
  for (const [index, problem] of SELF_TEST_PROBLEMS.entries()) {
    const dims = matmulDims(problem.a, problem.b, problem.transposeA, problem.transposeB);
    const [a, b] = [
      tf.tensor(
        seeded(
          problem.a.reduce((x, y) => x * y, 1),
          11 + index,
        ),
        problem.a,
      ),
      tf.tensor(
        seeded(
          problem.b.reduce((x, y) => x * y, 1),
          97 + index,
        ),
        problem.b,
      ),
    ];
    const [actual] = runProgramOnTensors(candidate(dims), [a!, b!]);
    const [expected] = runProgramOnTensors(tiledMatmulProgram(dims, true), [a!, b!]);
    try {
      const [actualValues, expectedValues] = await Promise.all([actual!.data() as Promise<Float32Array>, expected!.data() as Promise<Float32Array>]);
      const error = worstRelativeError(actualValues, expectedValues, dims.K);
      if (!(error <= worst)) {
        worst = error;
        worstProblem = `[${problem.a}]${problem.transposeA ? 'ᵀ' : ''}·[${problem.b}]${problem.transposeB ? 'ᵀ' : ''}`;
      }
    } finally {
      tf.dispose([a!, b!, actual!, expected!]);
    }
  }
  await checkCompiledPrograms();
  const passed = worst <= 1;
  return {
    passed,
    detail: passed
      ? `agrees with tiled-f16 on ${SELF_TEST_PROBLEMS.length} odd-sized problems, every transpose`
      : `differs from tiled-f16 on ${worstProblem} by ${Number.isFinite(worst) ? worst.toFixed(1) : 'a non-finite amount'}× the tolerance`,
  };
}

/**
 * Registers the self-test with selectBackend (matmul.op.ts calls this when it loads; a function, not
 * a bare import, since the package is marked free of side effects and bundlers drop bare imports).
 */
export function registerSubgroupMatrixSelfTest(): void {
  registerDeviceSelfTest({
    name: SUBGROUP_MATRIX_SELF_TEST,
    notApplicable: (features) => matmulVariantUnsupported('subgroup-matrix-f16', features, null),
    run: () => {
      const features = webgpuFeatures(getWebGPUBackend());
      const config = f16SubgroupMatrixConfig(features)!;
      return compareWithTiledF16((dims) => subgroupMatrixMatmulProgram(dims, config, features.subgroupMaxSize));
    },
  });
}
