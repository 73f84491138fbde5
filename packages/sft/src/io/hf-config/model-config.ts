import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { ModelFormatError } from '@steerlm/core';
import { writeTextFileAtomically } from '@steerlm/core/node';
import { ConfigFields, expectJsonObject } from './config-fields';
import { CONFIG_FAMILIES, MODEL_FAMILY_NAMES, configFamilyOf, familyOfArchitecture, type ModelConfig } from './config-families';

export type { ModelConfig } from './config-families';

/** The `architectures[0]` values understood, and their `model_type`. */
export const SUPPORTED_ARCHITECTURES: Record<string, string> = Object.assign({}, ...MODEL_FAMILY_NAMES.map((family) => CONFIG_FAMILIES[family].architectures));

/** The largest JSON config file read. */
const MAX_CONFIG_BYTES = 16_000_000;

function describeSupported(): string {
  return Object.entries(SUPPORTED_ARCHITECTURES)
    .map(([architecture, modelType]) => `${architecture} (${modelType})`)
    .join(', ');
}

/** Returns the typed config of a parsed Hugging Face `config.json` object (`file` names it in errors). */
export function parseModelConfig(json: unknown, file?: string): ModelConfig {
  const object = expectJsonObject(json, 'config.json', file);
  const fields = new ConfigFields(object, file);
  const architectures = object.architectures;
  let architecture: string | undefined;
  if (architectures !== undefined && architectures !== null) {
    if (!Array.isArray(architectures) || architectures.length === 0 || typeof architectures[0] !== 'string') {
      throw fields.error('architectures', `"architectures" must be a non-empty list of class names, got ${JSON.stringify(architectures)}`);
    }
    architecture = architectures[0];
  }
  const modelType = object.model_type;
  if (architecture === undefined) {
    const match = Object.entries(SUPPORTED_ARCHITECTURES).find(([, type]) => type === modelType);
    if (match === undefined) {
      throw fields.error('model_type', `unsupported model_type ${JSON.stringify(modelType)} and no "architectures" (supported: ${describeSupported()})`);
    }
    architecture = match[0];
  }
  const family = familyOfArchitecture(architecture);
  if (family === undefined) {
    throw fields.error(
      'architectures',
      `unsupported architecture "${architecture}" (supported: ${describeSupported()})`,
      'convert the model to one of the supported decoder families',
    );
  }
  if (modelType !== undefined && modelType !== SUPPORTED_ARCHITECTURES[architecture]) {
    throw fields.error(
      'model_type',
      `model_type ${JSON.stringify(modelType)} does not match architecture ${architecture} (expected "${SUPPORTED_ARCHITECTURES[architecture]}")`,
    );
  }
  return CONFIG_FAMILIES[family].parse(fields, architecture);
}

/** Returns the Hugging Face `config.json` object of a typed config (known fields, then the kept extras). */
export function modelConfigToJson(config: ModelConfig): Record<string, unknown> {
  return configFamilyOf(config).toJson(config);
}

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
