export { activationsUseKernel, gelu, swiglu, type GeluOptions } from './activations.op';
export { erfReference, geluBackwardReference, geluReference, swigluBackwardReference, swigluReference, type GeluApproximation } from './activations.reference';
export { geluBackwardProgram, geluForwardProgram, swigluBackwardProgram, swigluForwardProgram } from './activations.wgsl';
