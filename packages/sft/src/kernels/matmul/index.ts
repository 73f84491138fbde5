export { matmul, matmulUsesKernel, type MatmulOptions } from './matmul.op';
export { matmulBackwardReference, matmulDims, matmulOutputShape, matmulReference, type MatmulDims } from './matmul.reference';
export {
  assertMatmulVariant,
  chooseMatmulVariant,
  currentSubgroupMatrixSelfTest,
  f16SubgroupMatrixConfig,
  matmulVariantUnsupported,
  SUBGROUP_MATRIX_SELF_TEST,
} from './matmul.variant';
export { compareWithTiledF16, registerSubgroupMatrixSelfTest, SELF_TEST_PROBLEMS, worstRelativeError } from './matmul-self-test';
export { tiledMatmulProgram, TILE_K, TILE_M, TILE_N, type MatmulVariant } from './matmul.wgsl';
export {
  chooseMmaGemmTiling,
  mmaGemmProgram,
  mmaGemmWorkgroupBytes,
  subgroupMatrixMatmulProgram,
  type MmaGemmOptions,
  type MmaGemmTiling,
} from './mma-gemm.wgsl';
export { mmaPrimitives, type MmaLowering, type MmaPrimitives } from './mma-primitives';
export { linear, linearUsesKernel, type LinearOptions } from './linear.op';
export { linearBackwardReference, linearReference, type LinearShape } from './linear.reference';
export type { MatmulEpilogue } from './matmul.wgsl';
