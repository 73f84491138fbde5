import { mkdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { InvalidOptionError, ModelFormatError } from '@steerlm/core';
import { generationConfigToJson, modelConfigToJson, type GenerationConfig, type ModelConfig } from '../io/hf-config';
import { writeTextFileAtomically } from '@steerlm/core/node';
import {
  locateTokenizerFiles,
  readTokenizerFiles,
  tokenizerFromJson,
  tokenizerVocabSize,
  validateTokenizerJson,
  TransformersTokenizer,
  type TokenizerJson,
} from '../io/tokenizer';

/** A tokenizer to ship with an export: a folder or tokenizer.json path, a loaded tokenizer, or the JSON objects. */
export type ExportTokenizerSource = string | TransformersTokenizer | { tokenizerJson: unknown; tokenizerConfig?: Record<string, unknown> };

/** A tokenizer's files as they will be written, and where they came from (for errors). */
export interface ResolvedTokenizerFiles {
  tokenizerJson: TokenizerJson;
  tokenizerConfig: Record<string, unknown>;
  /** The tokenizer.json the files were read from, when they came from disk. */
  source?: string;
}

/** Options that set the fields of `generation_config.json`. */
export type GenerationConfigOverrides = Partial<Omit<GenerationConfig, 'extra'>> & { extra?: Record<string, unknown> };

/** Returns the tokenizer files of `source`, read and checked (nothing is fetched). */
export async function resolveTokenizerFiles(source: ExportTokenizerSource): Promise<ResolvedTokenizerFiles> {
  if (typeof source === 'string') {
    const files = await locateTokenizerFiles(source);
    const { tokenizerJson, tokenizerConfig } = await readTokenizerFiles(files);
    return { tokenizerJson, tokenizerConfig, source: files.tokenizerJsonPath };
  }
  if (source instanceof TransformersTokenizer) return { tokenizerJson: source.tokenizerJson, tokenizerConfig: { ...source.tokenizerConfig } };
  if (typeof source !== 'object' || source === null || !('tokenizerJson' in source)) {
    throw new InvalidOptionError('the tokenizer must be a folder path, a tokenizer loaded by loadTokenizer, or { tokenizerJson, tokenizerConfig }', {
      option: 'tokenizer',
    });
  }
  return { tokenizerJson: validateTokenizerJson(source.tokenizerJson), tokenizerConfig: { ...(source.tokenizerConfig ?? {}) } };
}

/** Throws a ModelFormatError when the tokenizer has ids beyond the model's embedding rows. */
export function checkTokenizerFitsModel(tokenizer: ResolvedTokenizerFiles, config: ModelConfig): void {
  const needed = tokenizerVocabSize(tokenizer.tokenizerJson);
  if (needed > config.vocabSize) {
    throw new ModelFormatError(`the tokenizer has ids up to ${needed - 1} but the model's embedding has ${config.vocabSize} rows (vocab_size)`, {
      ...(tokenizer.source !== undefined ? { file: tokenizer.source } : {}),
      field: 'vocab_size',
      hint: 'export with the tokenizer the model was trained with, or grow the embedding after ensureSpecialTokens',
    });
  }
}

/** Creates `folder` (and parents); throws an InvalidOptionError naming it when that is impossible. */
export async function ensureOutputFolder(folder: string): Promise<void> {
  if (typeof folder !== 'string' || folder.length === 0) throw new InvalidOptionError('the output folder must be a non-empty path', { option: 'outDir' });
  const existing = await stat(folder).catch(() => undefined);
  if (existing !== undefined && !existing.isDirectory()) {
    throw new InvalidOptionError(`the output path exists and is not a folder`, { option: 'outDir', file: folder, hint: 'give a new or existing folder' });
  }
  await mkdir(folder, { recursive: true });
}

function firstId(value: number | number[] | null): number | null {
  return Array.isArray(value) ? (value[0] ?? null) : value;
}

/** Returns the generation config written beside an export: token ids from the tokenizer (else the model config), then the overrides. */
export async function exportGenerationConfig(
  config: ModelConfig,
  tokenizer: ResolvedTokenizerFiles,
  overrides: GenerationConfigOverrides = {},
): Promise<GenerationConfig> {
  const loaded = await tokenizerFromJson(tokenizer.tokenizerJson, tokenizer.tokenizerConfig, tokenizer.source);
  const eos = loaded.eosTokenId ?? firstId(config.eosTokenId);
  const base: GenerationConfig = {
    bosTokenId: loaded.bosTokenId ?? firstId(config.bosTokenId),
    eosTokenIds: eos === null ? [] : [eos],
    padTokenId: loaded.padTokenId ?? firstId(config.padTokenId),
    maxLength: null,
    maxNewTokens: null,
    doSample: null,
    temperature: null,
    topP: null,
    topK: null,
    repetitionPenalty: null,
    extra: {},
  };
  return { ...base, ...overrides, extra: { ...base.extra, ...(overrides.extra ?? {}) } };
}

/**
 * Writes `config.json` (with a `transformers.js_config` that makes transformers.js pick the float32
 * `onnx/model.onnx` on every device), `generation_config.json`, `tokenizer.json` and
 * `tokenizer_config.json` into `folder`; returns the file names written.
 */
export async function writeModelFolderFiles(
  folder: string,
  config: ModelConfig,
  tokenizer: ResolvedTokenizerFiles,
  options: { generation?: GenerationConfigOverrides; externalData?: boolean } = {},
): Promise<string[]> {
  const transformersJsConfig: Record<string, unknown> = { dtype: 'fp32', ...(options.externalData ? { use_external_data_format: true } : {}) };
  const configJson = { ...modelConfigToJson(config), 'transformers.js_config': transformersJsConfig };
  const generation = await exportGenerationConfig(config, tokenizer, options.generation);
  await writeTextFileAtomically(join(folder, 'config.json'), `${JSON.stringify(configJson, null, 2)}\n`);
  await writeTextFileAtomically(join(folder, 'generation_config.json'), `${JSON.stringify(generationConfigToJson(generation), null, 2)}\n`);
  await writeTextFileAtomically(join(folder, 'tokenizer.json'), JSON.stringify(tokenizer.tokenizerJson));
  await writeTextFileAtomically(join(folder, 'tokenizer_config.json'), `${JSON.stringify(tokenizer.tokenizerConfig, null, 2)}\n`);
  return ['config.json', 'generation_config.json', 'tokenizer.json', 'tokenizer_config.json'];
}
