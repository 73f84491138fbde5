export {
  adamwStep,
  adamwUsesKernel,
  applyAdamW,
  createAdamWState,
  globalGradNorm,
  type AdamWState,
  type AdamWStepOptions,
  type AdamWStepResult,
} from './adamw.op';
export {
  adamwReference,
  adamwScalars,
  clipScale,
  resolveAdamWConfig,
  type AdamWConfig,
  type AdamWReferenceResult,
  type AdamWScalars,
  type ResolvedAdamWConfig,
} from './adamw.reference';
export { ADAMW_WORKGROUP_SIZE, adamwMultiProgram } from './adamw.wgsl';
export { gradStatistics, type GradStatistics } from './grad-statistics';
export { gradStatisticsProgram, sumOfSquaresProgram } from './grad-statistics.wgsl';
export { LossScaler, lossScaleReport, resolveLossScaleOptions, type LossScaleOptions, type LossScaleReport, type ResolvedLossScaleOptions } from './loss-scale';
