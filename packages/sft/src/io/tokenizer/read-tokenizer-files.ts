import { readFile, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { ModelFormatError } from '@steerlm/core';
import type { TokenizerJson } from './tokenizer-json';

/** The largest tokenizer.json read (real ones are 2–20 MB). */
const MAX_TOKENIZER_BYTES = 256_000_000;

/** The paths of a tokenizer's files. */
export interface TokenizerFiles {
  folder: string;
  tokenizerJsonPath: string;
  /** `tokenizer_config.json`, present or not. */
  tokenizerConfigPath: string;
}

/** Returns the paths of `tokenizer.json` and `tokenizer_config.json` for a folder or a tokenizer.json path. */
export async function locateTokenizerFiles(folderOrFile: string): Promise<TokenizerFiles> {
  const info = await stat(folderOrFile).catch((cause: unknown) => {
    throw new ModelFormatError(`cannot read the tokenizer (${(cause as Error).message})`, {
      file: folderOrFile,
      cause,
      hint: 'give a local folder holding tokenizer.json',
    });
  });
  const folder = info.isDirectory() ? folderOrFile : dirname(folderOrFile);
  const tokenizerJsonPath = info.isDirectory() ? join(folder, 'tokenizer.json') : folderOrFile;
  if (!info.isDirectory() && basename(folderOrFile) === 'tokenizer_config.json') {
    return { folder, tokenizerJsonPath: join(folder, 'tokenizer.json'), tokenizerConfigPath: folderOrFile };
  }
  return { folder, tokenizerJsonPath, tokenizerConfigPath: join(folder, 'tokenizer_config.json') };
}

async function readJson(path: string, what: string): Promise<unknown> {
  const info = await stat(path).catch((cause: unknown) => {
    throw new ModelFormatError(`missing ${what} (${(cause as Error).message})`, {
      file: path,
      cause,
      hint: 'only fast-tokenizer folders (with tokenizer.json) are supported',
    });
  });
  if (info.size > MAX_TOKENIZER_BYTES) throw new ModelFormatError(`${what} is ${info.size} bytes, above the ${MAX_TOKENIZER_BYTES}-byte limit`, { file: path });
  try {
    return JSON.parse(await readFile(path, 'utf8')) as unknown;
  } catch (cause) {
    throw new ModelFormatError(`${what} is not valid JSON (${(cause as Error).message})`, { file: path, cause });
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Returns `value` checked to have the shape of a tokenizer.json (model with a type, added_tokens list); `file` names it in errors. */
export function validateTokenizerJson(value: unknown, file?: string): TokenizerJson {
  if (!isObject(value)) throw new ModelFormatError('tokenizer.json must be a JSON object', { file });
  if (!isObject(value.model) || typeof value.model.type !== 'string') {
    throw new ModelFormatError('tokenizer.json has no "model" object with a "type"', { file, field: 'model' });
  }
  const added = value.added_tokens ?? [];
  if (!Array.isArray(added)) throw new ModelFormatError('"added_tokens" must be a list', { file, field: 'added_tokens' });
  added.forEach((token: unknown, index) => {
    if (!isObject(token) || !Number.isSafeInteger(token.id) || (token.id as number) < 0 || typeof token.content !== 'string' || token.content.length === 0) {
      throw new ModelFormatError(`added token ${index} must have a non-negative integer "id" and a non-empty "content"`, {
        file,
        field: `added_tokens[${index}]`,
      });
    }
  });
  return { ...value, added_tokens: added as TokenizerJson['added_tokens'], model: value.model as TokenizerJson['model'] };
}

/** Returns the parsed tokenizer.json and tokenizer_config.json (an empty object when that file is absent). */
export async function readTokenizerFiles(files: TokenizerFiles): Promise<{ tokenizerJson: TokenizerJson; tokenizerConfig: Record<string, unknown> }> {
  const tokenizerJson = validateTokenizerJson(await readJson(files.tokenizerJsonPath, 'tokenizer.json'), files.tokenizerJsonPath);
  const hasConfig = await stat(files.tokenizerConfigPath).then(
    (info) => info.isFile(),
    () => false,
  );
  const config = hasConfig ? await readJson(files.tokenizerConfigPath, 'tokenizer_config.json') : {};
  if (!isObject(config)) throw new ModelFormatError('tokenizer_config.json must be a JSON object', { file: files.tokenizerConfigPath });
  return { tokenizerJson, tokenizerConfig: config };
}

/** Returns one more than the largest token id of the model vocabulary and the added tokens (the embedding rows needed). */
export function tokenizerVocabSize(tokenizerJson: TokenizerJson): number {
  let size = 0;
  const vocab = tokenizerJson.model.vocab;
  if (Array.isArray(vocab)) size = vocab.length;
  else if (isObject(vocab)) for (const id of Object.values(vocab)) if (typeof id === 'number' && id + 1 > size) size = id + 1;
  for (const token of tokenizerJson.added_tokens) if (token.id + 1 > size) size = token.id + 1;
  return size;
}
