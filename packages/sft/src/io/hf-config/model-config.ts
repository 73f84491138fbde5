import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { ModelFormatError } from '@steerlm/core';
import { writeTextFileAtomically } from '@steerlm/core/node';
import type { ModelConfig } from './config-families';
import { modelConfigToJson, parseModelConfig } from './parse-model-config';

export type { ModelConfig } from './config-families';
// Parsing needs no file system (browser bundles take it from parse-model-config).
export { modelConfigToJson, parseModelConfig, SUPPORTED_ARCHITECTURES } from './parse-model-config';

/** The largest JSON config file read. */
const MAX_CONFIG_BYTES = 16_000_000;

/** Returns the parsed JSON object of the file at `path`, with size and syntax checked. */
export async function readJsonFile(path: string, what: string): Promise<unknown> {
  const info = await stat(path).catch((cause: unknown) => {
    throw new ModelFormatError(`cannot read ${what} (${(cause as Error).message})`, { file: path, cause });
  });
  if (info.size > MAX_CONFIG_BYTES) throw new ModelFormatError(`${what} is ${info.size} bytes, above the ${MAX_CONFIG_BYTES}-byte limit`, { file: path });
  const text = await readFile(path, 'utf8');
  try {
    return JSON.parse(text) as unknown;
  } catch (cause) {
    throw new ModelFormatError(`${what} is not valid JSON (${(cause as Error).message})`, { file: path, cause });
  }
}

/** Writes `json` (2-space indented, newline-terminated) as `fileName` into `folder` atomically; returns the file path. */
export async function writeJsonFile(folder: string, fileName: string, json: unknown): Promise<string> {
  const file = join(folder, fileName);
  await writeTextFileAtomically(file, `${JSON.stringify(json, null, 2)}\n`);
  return file;
}

/** Returns `pathOrFolder/fileName` when `pathOrFolder` is a folder, else `pathOrFolder` itself. */
export async function resolveConfigFile(pathOrFolder: string, fileName: string): Promise<string> {
  const info = await stat(pathOrFolder).catch(() => undefined);
  return info?.isDirectory() === true ? join(pathOrFolder, fileName) : pathOrFolder;
}

/** Returns the typed config read from `config.json` in a model folder (or from the given file). */
export async function readModelConfig(pathOrFolder: string): Promise<ModelConfig> {
  const file = await resolveConfigFile(pathOrFolder, 'config.json');
  return parseModelConfig(await readJsonFile(file, 'config.json'), file);
}

/** Writes `config` as `config.json` into `folder` atomically; returns the file path. */
export async function writeModelConfig(folder: string, config: ModelConfig): Promise<string> {
  return writeJsonFile(folder, 'config.json', modelConfigToJson(config));
}
