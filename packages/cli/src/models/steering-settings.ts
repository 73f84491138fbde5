// No Node imports: the browser playground bundles this to read the steerlm.json the user picks.
import { chatmlTemplate, defineAttributeSchema, ModelFormatError, steerlmTemplate, type AttributeSchema, type PromptTemplate } from '@steerlm/core';

/** The file beside config.json in which `sft train` records how a model is steered. */
export const STEERING_SETTINGS_FILE = 'steerlm.json';

/** The chat formats a model folder may name. */
const TEMPLATES: Readonly<Record<string, PromptTemplate>> = { steerlm: steerlmTemplate, chatml: chatmlTemplate };

/** What `steerlm.json` holds: the attribute schema the model was trained on (its preset name, if any) and its chat format. */
export interface SteeringSettings {
  readonly schema: AttributeSchema;
  /** The preset name (`oasst`, `steerlm`, …) when the schema is one. */
  readonly schemaName?: string;
  readonly template: PromptTemplate;
}

/** Returns the steering settings of a `steerlm.json` text; throws a ModelFormatError naming `path` when it is not one. */
export function parseSteeringSettings(text: string, path: string): SteeringSettings {
  try {
    const parsed = JSON.parse(text) as { schemaName?: unknown; schema?: unknown; template?: unknown };
    const template = TEMPLATES[String(parsed.template ?? 'steerlm')];
    if (template === undefined) throw new Error(`unknown template ${JSON.stringify(parsed.template)} (known: ${Object.keys(TEMPLATES).join(', ')})`);
    const schema = defineAttributeSchema(parsed.schema as never);
    return { schema, template, ...(typeof parsed.schemaName === 'string' ? { schemaName: parsed.schemaName } : {}) };
  } catch (cause) {
    throw new ModelFormatError(`${path} is not a valid steering settings file: ${(cause as Error).message}`, {
      file: path,
      cause,
      hint: `fix or delete it (then pass --schema), or retrain with "steerlm sft train"`,
    });
  }
}
