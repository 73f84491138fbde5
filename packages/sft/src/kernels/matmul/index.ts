export { matmul, matmulUsesKernel, type MatmulOptions } from './matmul.op';
export { matmulBackwardReference, matmulDims, matmulOutputShape, matmulReference, type MatmulDims } from './matmul.reference';
export { assertMatmulVariant, chooseMatmulVariant, f16SubgroupMatrixConfig, matmulVariantUnsupported } from './matmul.variant';
export { subgroupMatrixMatmulProgram, tiledMatmulProgram, TILE_K, TILE_M, TILE_N, type MatmulVariant } from './matmul.wgsl';
