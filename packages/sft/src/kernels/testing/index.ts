export { compareClose, expectClose, type CloseOptions, type ClosenessReport } from './expect-close';
export { backendTestPlan, forEachBackend, isContinuousIntegration, probeWebGPU, type BackendTestContext, type BackendTestPlan } from './for-each-backend';
export { checkGradient, contract, numericalGradient, type ScalarFunction } from './gradient-check';
export { createRandom, randomArray, randomIntegers, sizeOfShape, type RandomArrayOptions, type RandomSource } from './seeded-random';
export { float16BitsToNumber, roundArrayToFloat16, roundToFloat16, unpackHalves } from './float16';
export { expectNoTensorLeak, readFloat32 } from './tensor-helpers';
export { TOLERANCES, toleranceFor, type PrecisionName, type Tolerance } from './tolerances';
export { expectKernelChoice, itCompiledEveryProgram, itMatchesWithFusedKernelsOff } from './fused-kernel-tests';
export { ROW_KERNEL_FALLBACK_SHAPE, ROW_KERNEL_SHAPES } from './row-kernel-shapes';
