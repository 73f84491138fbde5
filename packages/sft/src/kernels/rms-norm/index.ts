export { rmsNorm, rmsNormUsesKernel } from './rms-norm.op';
export { rmsNormBackwardReference, rmsNormReference, type RmsNormReferenceInput } from './rms-norm.reference';
export { rmsNormBackwardInputProgram, rmsNormBackwardWeightProgram, rmsNormForwardProgram } from './rms-norm.wgsl';
