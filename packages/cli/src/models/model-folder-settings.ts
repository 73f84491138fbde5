import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { steerlmTemplate, STEERLM, type AttributeSchema, type PromptTemplate } from '@steerlm/core';
import { writeTextFileAtomically } from '@steerlm/core/node';
import type { ProgressListener } from '@steerlm/core';
import { isFolderlessModel, resolveModelFolder } from './resolve-model-folder';
import { schemaByName } from './schema-by-name';
import { parseSteeringSettings, STEERING_SETTINGS_FILE, type SteeringSettings } from './steering-settings';

export { parseSteeringSettings, STEERING_SETTINGS_FILE, type SteeringSettings } from './steering-settings';

/** Writes `steerlm.json` into `folder`: the schema (definitions and preset name) and the template's name. */
export async function writeSteeringSettings(
  folder: string,
  settings: { schema: AttributeSchema; schemaName?: string; template?: PromptTemplate },
): Promise<void> {
  const body = {
    format: 1,
    ...(settings.schemaName !== undefined ? { schemaName: settings.schemaName } : {}),
    schema: { attributes: settings.schema.attributes },
    template: (settings.template ?? steerlmTemplate).name,
  };
  await writeTextFileAtomically(join(folder, STEERING_SETTINGS_FILE), `${JSON.stringify(body, null, 2)}\n`);
}

/** Returns the steering settings a model folder records, or undefined when it has no `steerlm.json` (or is not a folder). */
export async function readSteeringSettings(folder: string): Promise<SteeringSettings | undefined> {
  const path = join(folder, STEERING_SETTINGS_FILE);
  const text = await readFile(path, 'utf8').catch(() => undefined);
  if (text === undefined) return undefined;
  return parseSteeringSettings(text, path);
}

/** The schema and template a command uses, and where they came from (for its notes). */
export interface ModelSteering {
  readonly schema: AttributeSchema;
  readonly template: PromptTemplate;
  /** Where the schema came from: the --schema flag, the model folder's steerlm.json, or the default. */
  readonly source: 'option' | 'model folder' | 'default';
  /** Says where the schema came from, e.g. `oasst (from runs/x/final/steerlm.json)`. */
  readonly description: string;
}

/**
 * Returns the schema and template for `--model`: `--schema` when given, else what the model folder (or
 * the Hub repo, fetched into the cache with progress to `onProgress`) records in steerlm.json, else the
 * steerlm schema and template (said so in the description).
 */
export async function resolveModelSteering(
  model: string,
  schemaOption: string | undefined,
  options: { onProgress?: ProgressListener } = {},
): Promise<ModelSteering> {
  const folder = isFolderlessModel(model) ? undefined : (await resolveModelFolder(model, options)).folder;
  const recorded = folder === undefined ? undefined : await readSteeringSettings(folder);
  const template = recorded?.template ?? steerlmTemplate;
  if (schemaOption !== undefined) return { schema: schemaByName(schemaOption), template, source: 'option', description: `${schemaOption} (--schema)` };
  if (recorded !== undefined)
    return {
      schema: recorded.schema,
      template,
      source: 'model folder',
      description: `${recorded.schemaName ?? recorded.schema.names.join(',')} (from ${join(folder!, STEERING_SETTINGS_FILE)})`,
    };
  return {
    schema: STEERLM,
    template,
    source: 'default',
    description: 'steerlm (the default: the model records no schema; pass --schema if it was trained on another)',
  };
}
