import { HELPSTEER, InvalidOptionError, OASST, STEERLM, STEERLM_PAPER_2023, type AttributeSchema } from '@steerlm/core';

/** The attribute schemas commands know by name. */
export const SCHEMA_NAMES = Object.freeze(['steerlm', 'oasst', 'helpsteer', 'steerlm-paper-2023'] as const);

const schemas: Readonly<Record<(typeof SCHEMA_NAMES)[number], AttributeSchema>> = {
  steerlm: STEERLM,
  oasst: OASST,
  helpsteer: HELPSTEER,
  'steerlm-paper-2023': STEERLM_PAPER_2023,
};

/** Returns the preset schema called `name`; throws InvalidOptionError naming the known ones otherwise. */
export function schemaByName(name: string): AttributeSchema {
  const schema = (schemas as Readonly<Record<string, AttributeSchema>>)[name];
  if (!schema) throw new InvalidOptionError(`unknown schema "${name}"`, { option: 'schema', hint: `use one of ${SCHEMA_NAMES.join(', ')}` });
  return schema;
}
