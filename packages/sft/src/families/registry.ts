/**
 * The registry of decoder families. Adding a family means adding its config to `ModelConfig`
 * (io/hf-config/config-families.ts) and its entry here: the mapped types make both tables incomplete
 * until it is, and the code elsewhere asks `modelFamily(config)` instead of comparing family names.
 */
import type { ConfigOfFamily, ModelConfig, ModelFamilyName } from '../io/hf-config/config-families';
import { gpt2Family } from './gpt2/gpt2-family';
import { llamaFamily } from './llama/llama-family';
import type { FamilyImplementation, ModelFamily } from './model-family';

/** Every supported family with its implementation, keyed by `config.family`. */
export const FAMILY_IMPLEMENTATIONS: { readonly [F in ModelFamilyName]: FamilyImplementation<ConfigOfFamily<F>> } = {
  llama: llamaFamily,
  gpt2: gpt2Family,
};

/** Returns the family of `config` with its implementation (forward pass, ONNX graph, config parsing). */
export function familyImplementation<C extends ModelConfig>(config: C): FamilyImplementation<C> {
  const family: unknown = (FAMILY_IMPLEMENTATIONS as Readonly<Record<string, unknown>>)[config.family];
  if (family === undefined) throw new TypeError(`unknown model family ${JSON.stringify(config.family)}`);
  return family as FamilyImplementation<C>;
}

/** Returns the family of `config`: its architectures, parameter names and cache layout. Throws for an unknown family. */
export function modelFamily<C extends ModelConfig>(config: C): ModelFamily<C> {
  return familyImplementation(config);
}
