export { crossEntropy, crossEntropyUsesKernel, maskedMeanCrossEntropy } from './cross-entropy.op';
export { crossEntropyBackwardReference, crossEntropyReference, maskedMeanReference, type CrossEntropyReferenceInput } from './cross-entropy.reference';
export { crossEntropyBackwardProgram, crossEntropyForwardProgram } from './cross-entropy.wgsl';
