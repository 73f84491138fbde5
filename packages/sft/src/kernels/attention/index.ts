export { attentionBackwardReference, attentionForwardReference, attentionScale, canAttend, checkAttentionShape, keyValidity } from './attention.reference';
export type { AttentionForwardResult, AttentionGradients, AttentionMaskOptions, AttentionShape } from './attention.reference';
export { attendableMatrix, attentionMaskFromArrays, buildAttentionMask, type AttentionMaskInputs } from './attention.mask';
export { composedAttention, composedAttentionBackward, composedAttentionForward } from './attention.composed';
export { hostAttention, hostAttentionPacked } from './attention.host';
export { attentionForwardProgram, attentionRowStatsProgram, attentionTiling, type AttentionDims, type AttentionTiling } from './attention.wgsl';
export { attentionBackwardKeyValueProgram, attentionBackwardQueryProgram } from './attention.wgsl';
export {
  causalAttention,
  causalAttentionOp,
  causalAttentionPacked,
  causalAttentionPackedOp,
  type CausalAttentionOptions,
  type PackedAttentionOptions,
} from './attention.op';
