import { readFile, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { ModelFormatError } from '@steerlm/core';
import { isObject, validateTokenizerJson, type TokenizerJson } from './tokenizer-json';

// Checking a tokenizer.json needs no file system (browser bundles take these from tokenizer-json).
export { tokenizerVocabSize, validateTokenizerJson } from './tokenizer-json';

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
