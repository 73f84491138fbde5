/**
 * `@steerlm/sft/kernels`: the fused ops (WGSL on WebGPU, host kernels on cpu/wasm, a composed tfjs
 * fallback elsewhere) and the runtime to write new ones (see kernels/runtime/README.md). Each op's
 * WGSL programs, references and test helpers stay internal.
 */

// Fused ops
export { matmul, type MatmulOptions } from './matmul/matmul.op';
export type { MatmulVariant } from './matmul/matmul.wgsl';
export { causalAttention, type CausalAttentionOptions } from './attention/attention.op';
export type { AttentionMaskInputs } from './attention/attention.mask';
export { rmsNorm } from './rms-norm/rms-norm.op';
export { layerNorm } from './layer-norm/layer-norm.op';
export { crossEntropy, maskedMeanCrossEntropy } from './cross-entropy/cross-entropy.op';
export { gelu, swiglu, type GeluOptions } from './activations/activations.op';
export type { GeluApproximation } from './activations/activations.reference';
export { rope, type RopeOptions } from './rope/rope.op';
export { ropeInverseFrequencies, type Llama3RopeScaling } from './rope/rope-frequencies';
export { embedding } from './embedding/embedding.op';
export { adamwStep, applyAdamW, createAdamWState, globalGradNorm, type AdamWState, type AdamWStepOptions, type AdamWStepResult } from './adamw/adamw.op';
export { resolveAdamWConfig, type AdamWConfig, type ResolvedAdamWConfig } from './adamw/adamw.reference';
export {
  LossScaler,
  lossScaleReport,
  resolveLossScaleOptions,
  type LossScaleOptions,
  type LossScaleReport,
  type ResolvedLossScaleOptions,
} from './adamw/loss-scale';

// Mixed precision: which precision a run gets, packed f16 storage, the step's scope
export {
  activeMixedPrecision,
  halfStorageShape,
  resolveActivePrecision,
  resolvePrecision,
  withMixedPrecision,
  type MixedPrecisionScope,
  type PrecisionChoice,
  type TrainingPrecision,
} from './runtime/precision';
export { castToHalf } from './runtime/half-cast';

// The runtime: define a fused op, run a WGSL program, inspect the pipeline cache
export { defineFusedOp, fusedKernelsAreEnabled, setFusedKernelsEnabled } from './runtime/fused-op';
export type { FusedOp, FusedOpAttributeValue, FusedOpDefinition, FusedOpPath, FusedOpSaved } from './runtime/fused-op';
export { isHostBackend } from './runtime/host-backend';
export { hostMatmulEngine, setHostMatmulEngine, usesMlas, type HostMatmulEngine } from './host/mlas-ops';
export { mlasAvailable, mlasBatchedMatmul, mlasCallCount, mlasGemm, mlasThreads, setMlasThreads, type GemmShape } from './host/mlas-gemm';
export { runProgram, runProgramOnTensors } from './runtime/run-program';
export { dispatchCounts, dispatchCountsBetween, installDispatchCounter, type DispatchCounts } from './runtime/dispatch-counter';
export type { ProgramDtype, ProgramOutput, WgslExtension, WgslProgram } from './runtime/program';
export type { UniformField, UniformType } from './runtime/uniforms';
export { gridBuiltins, linearWorkgroup, maxWorkgroupsPerDimension, workgroupGrid, workgroupSumSource } from './runtime/dispatch';
export { checkCompiledPrograms, pipelineCacheSize } from './runtime/pipeline-cache';
export { setPrintWGSL, type ShaderSink } from './runtime/shader-print';
export { getWebGPUBackend, isWebGPUBackend, webgpuFeatures } from './runtime/webgpu-context';
export type { DeviceFeatures } from '../backend/device-features';
