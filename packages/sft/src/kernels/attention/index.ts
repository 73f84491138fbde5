export { attentionBackwardReference, attentionForwardReference, attentionScale, canAttend, checkAttentionShape, keyValidity, type AttentionForwardResult, type AttentionGradients, type AttentionMaskOptions, type AttentionShape } from './attention.reference';
export { attendableMatrix, buildAttentionMask, type AttentionMaskInputs } from './attention.mask';
export { composedAttention, composedAttentionBackward, composedAttentionForward } from './attention.composed';
export { hostAttention, hostAttentionPacked } from './attention.host';
export { attentionBackwardKeyValueProgram, attentionBackwardQueryProgram, attentionForwardProgram, attentionRowStatsProgram, attentionTiling, type AttentionDims, type AttentionTiling } from './attention.wgsl';
export { causalAttention, causalAttentionOp, type CausalAttentionOptions } from './attention.op';
