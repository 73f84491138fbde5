import { InvalidAttributeError, InvalidOptionError, parseAttributes, type AttributeSchema, type AttributeValues } from '@steerlm/core';

/**
 * Returns the values of a command-line attribute list such as `humor=4,toxicity=0` (or SteerLM's
 * `humor:4,toxicity:0`), checked against `schema`.
 */
export function parseAttributeOption(text: string, schema: AttributeSchema): AttributeValues {
  const normalised = text.replace(/\s+/g, '').replaceAll('=', ':');
  try {
    return parseAttributes(normalised, schema);
  } catch (error) {
    if (InvalidAttributeError.isInstance(error)) {
      throw new InvalidOptionError(`--attr ${JSON.stringify(text)}: ${error.message}`, {
        option: 'attr',
        cause: error,
        hint: `write name=value pairs joined by commas, e.g. humor=4,toxicity=0; attributes: ${schema.attributes.map((item) => `${item.name} ${item.min}..${item.max}`).join(', ')}`,
      });
    }
    throw error;
  }
}
