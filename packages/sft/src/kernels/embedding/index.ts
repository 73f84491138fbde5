export { embedding, embeddingUsesKernel } from './embedding.op';
export { embeddingBackwardReference, embeddingReference } from './embedding.reference';
export { embeddingAccumulateProgram, embeddingForwardProgram, embeddingSortProgram, type EmbeddingDimensions } from './embedding.wgsl';
