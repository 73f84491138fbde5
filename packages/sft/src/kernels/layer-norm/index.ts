export { layerNorm, layerNormUsesKernel } from './layer-norm.op';
export { layerNormBackwardReference, layerNormReference, type LayerNormReferenceInput } from './layer-norm.reference';
export { layerNormBackwardInputProgram, layerNormBackwardParametersProgram, layerNormForwardProgram } from './layer-norm.wgsl';
