import { modelFamily } from '../families/registry';
import type { ModelConfig } from '../io/hf-config';

/** How a parameter starts when a model is trained from scratch. */
export type ParameterInit = { kind: 'normal'; std: number } | { kind: 'ones' } | { kind: 'zeros' };

/** One named parameter of a decoder, in Hugging Face naming and layout. */
export interface ParameterSpec {
  name: string;
  shape: number[];
  init: ParameterInit;
}

/** Returns every parameter a decoder of `config` has, in Hugging Face names and layouts. */
export function parameterSpecs(config: ModelConfig): ParameterSpec[] {
  return modelFamily(config).parameterSpecs(config);
}

/** Returns the canonical name of a tensor as found in a checkpoint of `config`'s family (e.g. GPT-2's unprefixed `h.0.…`). */
export function canonicalParameterName(config: ModelConfig, name: string): string {
  return modelFamily(config).canonicalParameterName(name);
}

/** Returns whether a checkpoint tensor is a buffer that is not a parameter (GPT-2's causal mask). */
export function isIgnoredCheckpointTensor(name: string): boolean {
  return /\.attn\.(masked_)?bias$/.test(name) || name.endsWith('.rotary_emb.inv_freq');
}
