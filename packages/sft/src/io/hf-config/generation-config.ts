import { ConfigFields, expectJsonObject, mergeForWriting } from './config-fields';
import { readJsonFile, resolveConfigFile, writeJsonFile } from './model-config';

/** A Hugging Face `generation_config.json`: the decoding defaults shipped with a model. */
export interface GenerationConfig {
  bosTokenId: number | null;
  /** Every id that ends generation (the file may hold one id or a list). */
  eosTokenIds: number[];
  padTokenId: number | null;
  maxLength: number | null;
  maxNewTokens: number | null;
  doSample: boolean | null;
  temperature: number | null;
  topP: number | null;
  topK: number | null;
  repetitionPenalty: number | null;
  /** Every other field, kept verbatim for writing back. */
  extra: Record<string, unknown>;
}

function singleId(fields: ConfigFields, key: string): number | null {
  const value = fields.tokenIds(key);
  if (Array.isArray(value)) throw fields.error(key, `"${key}" must be a single token id, got a list`);
  return value;
}

function optionalNumber(fields: ConfigFields, key: string, check: (value: number) => boolean, requirement: string): number | null {
  const value = fields.raw(key);
  if (value === undefined || value === null) return null;
  if (typeof value !== 'number' || !Number.isFinite(value) || !check(value))
    throw fields.error(key, `"${key}" must be ${requirement}, got ${JSON.stringify(value)}`);
  return value;
}

/** Returns the typed generation config of a parsed `generation_config.json` object. */
export function parseGenerationConfig(json: unknown, file?: string): GenerationConfig {
  const fields = new ConfigFields(expectJsonObject(json, 'generation_config.json', file), file);
  const eos = fields.tokenIds('eos_token_id');
  const positiveInteger = (value: number): boolean => Number.isSafeInteger(value) && value > 0;
  const doSample = fields.raw('do_sample');
  if (doSample !== undefined && doSample !== null && typeof doSample !== 'boolean') throw fields.error('do_sample', `"do_sample" must be true or false`);
  return {
    bosTokenId: singleId(fields, 'bos_token_id'),
    eosTokenIds: eos === null ? [] : Array.isArray(eos) ? eos : [eos],
    padTokenId: singleId(fields, 'pad_token_id'),
    maxLength: optionalNumber(fields, 'max_length', positiveInteger, 'a positive integer'),
    maxNewTokens: optionalNumber(fields, 'max_new_tokens', positiveInteger, 'a positive integer'),
    doSample: (doSample as boolean | null | undefined) ?? null,
    temperature: optionalNumber(fields, 'temperature', (value) => value >= 0, 'a number >= 0'),
    topP: optionalNumber(fields, 'top_p', (value) => value > 0 && value <= 1, 'in (0, 1]'),
    topK: optionalNumber(fields, 'top_k', (value) => Number.isSafeInteger(value) && value >= 0, 'a non-negative integer'),
    repetitionPenalty: optionalNumber(fields, 'repetition_penalty', (value) => value > 0, 'a positive number'),
    extra: fields.rest(),
  };
}

/** Returns the `generation_config.json` object of a typed generation config (null fields left out). */
export function generationConfigToJson(config: GenerationConfig): Record<string, unknown> {
  const eos = config.eosTokenIds.length === 0 ? undefined : config.eosTokenIds.length === 1 ? config.eosTokenIds[0] : [...config.eosTokenIds];
  return mergeForWriting(
    {
      bos_token_id: config.bosTokenId ?? undefined,
      eos_token_id: eos,
      pad_token_id: config.padTokenId ?? undefined,
      max_length: config.maxLength ?? undefined,
      max_new_tokens: config.maxNewTokens ?? undefined,
      do_sample: config.doSample ?? undefined,
      temperature: config.temperature ?? undefined,
      top_p: config.topP ?? undefined,
      top_k: config.topK ?? undefined,
      repetition_penalty: config.repetitionPenalty ?? undefined,
    },
    config.extra,
  );
}

/** Returns the generation config read from `generation_config.json` in a model folder (or the given file). */
export async function readGenerationConfig(pathOrFolder: string): Promise<GenerationConfig> {
  const file = await resolveConfigFile(pathOrFolder, 'generation_config.json');
  return parseGenerationConfig(await readJsonFile(file, 'generation_config.json'), file);
}

/** Writes `config` as `generation_config.json` into `folder` atomically; returns the file path. */
export async function writeGenerationConfig(folder: string, config: GenerationConfig): Promise<string> {
  return writeJsonFile(folder, 'generation_config.json', generationConfigToJson(config));
}
