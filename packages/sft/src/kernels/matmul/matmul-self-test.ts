/**
 * Shape legend: B batch, M rows of C, K reduction length, N columns of C.
 * The subgroup-matrix GEMM self-test: the first time a device offering subgroup matrices is used
 * (selectBackend runs it), the 'subgroup-matrix-f16' kernel (mma-gemm.wgsl.ts) is compared with the
 * tiled f16 kernel (same f16 operands, f32 accumulation) on small seeded problems: odd sizes (scalar
 * loads), sizes that are multiples of 4 (vec4 loads), every transpose, more than one 128×128 tile
 * and K slab, a batched problem and the bias + GELU + residual epilogue; if any result differs, or
 * the kernel does not compile, chooseMatmulVariant never picks it on that device and the backend
 * report says so.
 */
import * as tf from '@tensorflow/tfjs';
import { registerDeviceSelfTest } from '../../backend/device-self-tests';
import { checkCompiledPrograms, getWebGPUBackend, runProgramOnTensors, webgpuFeatures, type WgslProgram } from '../runtime';
import { matmulDims, type MatmulDims } from './matmul.reference';
import { f16SubgroupMatrixConfig, matmulVariantUnsupported, SUBGROUP_MATRIX_SELF_TEST } from './matmul.variant';
import { tiledMatmulProgram, type MatmulEpilogue } from './matmul.wgsl';
import { subgroupMatrixMatmulProgram } from './mma-gemm.wgsl';

/** One self-test problem: stored operand shapes, transposes, and an optional epilogue (2-D problems only). */
export interface SelfTestProblem {
  a: number[];
  b: number[];
  transposeA: boolean;
  transposeB: boolean;
  epilogue?: MatmulEpilogue;
}

/**
 * The problems compared: odd sizes (no tile or fragment divides them; scalar loads), every transpose,
 * sizes that are multiples of 4 but of no tile (vec4 loads) spanning 2×2 output tiles of 128 and
 * three 32-deep K slabs, a batched one, and the bias + GELU + residual epilogue.
 */
export const SELF_TEST_PROBLEMS: readonly SelfTestProblem[] = [
  { a: [37, 45], b: [45, 29], transposeA: false, transposeB: false },
  { a: [45, 37], b: [45, 29], transposeA: true, transposeB: false },
  { a: [37, 45], b: [29, 45], transposeA: false, transposeB: true },
  { a: [45, 37], b: [29, 45], transposeA: true, transposeB: true },
  { a: [2, 19, 70], b: [2, 70, 33], transposeA: false, transposeB: false },
  { a: [132, 68], b: [68, 140], transposeA: false, transposeB: false },
  { a: [68, 132], b: [140, 68], transposeA: true, transposeB: true },
  { a: [37, 45], b: [45, 29], transposeA: false, transposeB: false, epilogue: { bias: true, activation: 'tanh', residual: true } },
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
 * problem (on the active webgpu backend), with the worst error in words. `candidate` gets each
 * problem's dims and epilogue ({} for none) and must read inputs a, b (then bias [N], residual [M, N]).
 */
export async function compareWithTiledF16(
  candidate: (dims: MatmulDims, epilogue: MatmulEpilogue) => WgslProgram,
): Promise<{ passed: boolean; detail: string }> {
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
    const epilogue = problem.epilogue ?? {};
    const extra = [
      ...(epilogue.bias ? [tf.tensor(seeded(dims.N, 5 + index), [dims.N])] : []),
      ...(epilogue.residual ? [tf.tensor(seeded(dims.M * dims.N, 7 + index), [dims.M, dims.N])] : []),
    ];
    const inputs = [a!, b!, ...extra];
    const actualOutputs = runProgramOnTensors(candidate(dims, epilogue), inputs);
    const expectedOutputs = runProgramOnTensors(tiledMatmulProgram(dims, true, epilogue), inputs);
    const [actual, expected] = [actualOutputs[0], expectedOutputs[0]];
    try {
      const [actualValues, expectedValues] = await Promise.all([actual!.data() as Promise<Float32Array>, expected!.data() as Promise<Float32Array>]);
      const error = worstRelativeError(actualValues, expectedValues, dims.K);
      if (!(error <= worst)) {
        worst = error;
        worstProblem = `[${problem.a}]${problem.transposeA ? 'ᵀ' : ''}·[${problem.b}]${problem.transposeB ? 'ᵀ' : ''}${problem.epilogue ? ' with bias, GELU and residual' : ''}`;
      }
    } finally {
      tf.dispose([...inputs, ...actualOutputs, ...expectedOutputs]);
    }
  }
  await checkCompiledPrograms();
  const passed = worst <= 1;
  return {
    passed,
    detail: passed
      ? `agrees with tiled-f16 on ${SELF_TEST_PROBLEMS.length} problems: odd and multiple-of-4 sizes, every transpose, a batch, an epilogue`
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
      return compareWithTiledF16((dims, epilogue) =>
        subgroupMatrixMatmulProgram(dims, config, features.subgroupMaxSize, epilogue, features.maxComputeWorkgroupStorageSize),
      );
    },
  });
}
