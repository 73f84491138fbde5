/**
 * The registry of decoder families. Adding a family means adding its config to `ModelConfig`
 * (io/hf-config/config-families.ts) and its entry here: the mapped types make both tables incomplete
 * until it is, and the code elsewhere asks `modelFamily(config)` instead of comparing family names.
 */
import type { ConfigOfFamily, ModelConfig, ModelFamilyName } from '../io/hf-config/config-families';
import { gpt2Family } from './gpt2/gpt2-family';
import { llamaFamily } from './llama/llama-family';
import type { ModelFamily } from './model-family';

/** Every supported family, keyed by `config.family`. */
export const MODEL_FAMILIES: { readonly [F in ModelFamilyName]: ModelFamily<ConfigOfFamily<F>> } = {
  llama: llamaFamily,
  gpt2: gpt2Family,
};

/** Returns the family of `config` (typed for that config). */
export function modelFamily<C extends ModelConfig>(config: C): ModelFamily<C> {
  const family: unknown = (MODEL_FAMILIES as Readonly<Record<string, unknown>>)[config.family];
  if (family === undefined) throw new TypeError(`unknown model family ${JSON.stringify(config.family)}`);
  return family as unknown as ModelFamily<C>;
}
