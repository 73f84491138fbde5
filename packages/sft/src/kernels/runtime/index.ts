export { elementwiseMain, gridBuiltins, linearWorkgroup, maxWorkgroupsPerDimension, workgroupGrid, workgroupSumSource } from './dispatch';
export { rowKernelProgram, rowKernelUniforms, type RowKernelSpec } from './row-kernel';
export { HOST_BACKENDS, isHostBackend } from './host-backend';
export {
  defineFusedOp,
  fusedKernelsAreEnabled,
  setFusedKernelsEnabled,
  type FusedOp,
  type FusedOpAttributeValue,
  type FusedOpDefinition,
  type FusedOpPath,
  type FusedOpSaved,
} from './fused-op';
export { checkCompiledPrograms, isPipelineCached, pipelineCacheKeys, pipelineCacheSize, type CachedPipeline } from './pipeline-cache';
export {
  assembleSource,
  EXTENSION_FEATURES,
  programCacheKey,
  wgslElementType,
  type ProgramDtype,
  type ProgramOutput,
  type WgslExtension,
  type WgslProgram,
} from './program';
export { countOurDispatch, dispatchCounts, dispatchCountsBetween, installDispatchCounter, type DispatchCounts } from './dispatch-counter';
export { runProgram, runProgramOnTensors } from './run-program';
export { activeShaderSink, setPrintWGSL, type ShaderSink } from './shader-print';
export { declareUniformStruct, packUniforms, type UniformField, type UniformType } from './uniforms';
export { backendInternals, getWebGPUBackend, isWebGPUBackend, webgpuFeatures, type WebGPUBackendInternals } from './webgpu-context';
export {
  activeMixedPrecision,
  halfStorageShape,
  resolveActivePrecision,
  resolvePrecision,
  TO_HALF_WGSL,
  TRAINING_PRECISIONS,
  withMixedPrecision,
  type MixedPrecisionScope,
  type PrecisionChoice,
  type TrainingPrecision,
} from './precision';
export { castToHalf, castToHalfProgram } from './half-cast';
