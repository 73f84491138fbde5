/**
 * The config.json side of each decoder family: which architectures it reads, and how a config is parsed
 * and written back. The family registry (src/families) builds on this table; a new family is added
 * here first, and the mapped type below makes the compiler ask for every entry.
 */
import type { ConfigFields } from './config-fields';
import { GPT2_ARCHITECTURES, gpt2ConfigToJson, parseGpt2Config, type Gpt2Config } from './gpt2-config';
import { LLAMA_ARCHITECTURES, llamaConfigToJson, parseLlamaConfig, type LlamaArchitecture, type LlamaConfig } from './llama-config';

/** A decoder config of one of the supported families. */
export type ModelConfig = LlamaConfig | Gpt2Config;

/** The name of a supported decoder family (`config.family`). */
export type ModelFamilyName = ModelConfig['family'];

/** The config of family `F`. */
export type ConfigOfFamily<F extends ModelFamilyName> = Extract<ModelConfig, { family: F }>;

/** How one family's config.json is recognised, parsed and written. */
export interface ConfigFamily<C extends ModelConfig> {
  /** `architectures[0]` values of the family and their `model_type`. */
  readonly architectures: Readonly<Record<string, string>>;
  /** Returns the typed config read from `fields` (`architecture` is one of `architectures`). */
  parse(fields: ConfigFields, architecture: string): C;
  /** Returns the Hugging Face config.json object of `config`. */
  toJson(config: C): Record<string, unknown>;
}

/** The config side of every family, keyed by family name. */
export const CONFIG_FAMILIES: { readonly [F in ModelFamilyName]: ConfigFamily<ConfigOfFamily<F>> } = {
  llama: {
    architectures: LLAMA_ARCHITECTURES,
    parse: (fields, architecture) => parseLlamaConfig(fields, architecture as LlamaArchitecture),
    toJson: llamaConfigToJson,
  },
  gpt2: {
    architectures: GPT2_ARCHITECTURES,
    parse: (fields) => parseGpt2Config(fields),
    toJson: gpt2ConfigToJson,
  },
};

/** The names of the supported families, in registry order. */
export const MODEL_FAMILY_NAMES = Object.keys(CONFIG_FAMILIES) as ModelFamilyName[];

/** Returns the family reading `architecture`, or undefined when no family does. */
export function familyOfArchitecture(architecture: string): ModelFamilyName | undefined {
  return MODEL_FAMILY_NAMES.find((family) => Object.hasOwn(CONFIG_FAMILIES[family].architectures, architecture));
}

/** Returns the config side of `config`'s family. */
export function configFamilyOf<C extends ModelConfig>(config: C): ConfigFamily<C> {
  return CONFIG_FAMILIES[config.family] as unknown as ConfigFamily<C>;
}

/** Fails to compile when a switch over families misses one; throws if an unknown value gets through anyway. */
export function unknownFamily(family: never): never {
  throw new TypeError(`unknown model family ${JSON.stringify(family)}`);
}
