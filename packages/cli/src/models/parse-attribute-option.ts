import { InvalidAttributeError, InvalidOptionError, interpolateAttributes, type AttributeSchema, type AttributeValues } from '@steerlm/core';

const decimalPattern = /^-?\d+(\.\d+)?$/;

/**
 * Returns the values of a command-line attribute list such as `humor=4,toxicity=0` (or SteerLM's
 * `humor:4,toxicity:0`), checked against `schema`. A fractional value such as humor=2.5 interpolates
 * between the neighbouring labels (at most MAX_INTERPOLATED_ATTRIBUTES of them); `option` names the flag in errors.
 */
export function parseAttributeOption(text: string, schema: AttributeSchema, option = 'attr'): AttributeValues {
  const hint = `write name=value pairs joined by commas, e.g. humor=4,toxicity=0 (humor=2.5 interpolates); attributes: ${schema.attributes.map((item) => `${item.name} ${item.min}..${item.max}`).join(', ')}`;
  const fail = (message: string, cause?: unknown): never => {
    throw new InvalidOptionError(`--${option} ${JSON.stringify(text)}: ${message}`, { option, hint, ...(cause !== undefined ? { cause } : {}) });
  };
  const normalised = text.replace(/\s+/g, '').replaceAll('=', ':');
  const values: Record<string, number> = {};
  if (normalised !== '') {
    normalised.split(',').forEach((item, index) => {
      const parts = item.split(':');
      if (parts.length !== 2 || parts[0] === '' || !decimalPattern.test(parts[1]!)) fail(`item ${index + 1} ${JSON.stringify(item)} is not name=value`);
      if (Object.prototype.hasOwnProperty.call(values, parts[0]!)) fail(`duplicate attribute "${parts[0]}"`);
      values[parts[0]!] = Number(parts[1]);
    });
  }
  try {
    interpolateAttributes(values, schema);
  } catch (error) {
    if (InvalidAttributeError.isInstance(error)) fail(error.message, error);
    throw error;
  }
  return Object.freeze(values);
}
