export { rope, ropeUsesKernel, type RopeOptions } from './rope.op';
export { ropeInverseFrequencies, type Llama3RopeScaling } from './rope-frequencies';
export { ropeBackwardReference, ropeReference, type RopeReferenceInput } from './rope.reference';
export { ropeProgram, type RopeDimensions } from './rope.wgsl';
