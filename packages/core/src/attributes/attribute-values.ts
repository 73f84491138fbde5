import { InvalidAttributeError } from '../errors';
import type { AttributeSchema, AttributeValues } from './attribute-schema';

/**
 * Returns a frozen copy of `values` after checking each against the schema: known name, integer,
 * inside the attribute's range. Values are never clamped; an `undefined` value counts as unset.
 */
export function validateAttributes(values: Readonly<Record<string, number | undefined>>, schema: AttributeSchema): AttributeValues {
  if (typeof values !== 'object' || values === null) {
    throw new InvalidAttributeError('attribute values must be an object such as { quality: 4 }');
  }
  const result: Record<string, number> = {};
  for (const [name, value] of Object.entries(values)) {
    if (value === undefined) continue;
    const definition = schema.get(name);
    if (!definition) {
      throw new InvalidAttributeError(`unknown attribute "${name}"`, {
        attribute: name,
        field: name,
        hint: `known attributes: ${schema.names.join(', ')}`,
      });
    }
    if (typeof value !== 'number' || !Number.isInteger(value)) {
      throw new InvalidAttributeError(`attribute "${name}" must be an integer, got ${JSON.stringify(value)}`, {
        attribute: name,
        field: name,
      });
    }
    if (value < definition.min || value > definition.max) {
      throw new InvalidAttributeError(`attribute "${name}" is ${value}, outside ${definition.min}..${definition.max}`, {
        attribute: name,
        field: name,
        hint: 'values are never clamped: pass a value inside the range',
      });
    }
    result[name] = value;
  }
  return Object.freeze(result);
}

/** Returns `quality:4,toxicity:0,...`: set attributes as key:value in the schema's order, no spaces. */
export function formatAttributes(values: Readonly<Record<string, number | undefined>>, schema: AttributeSchema): string {
  const valid = validateAttributes(values, schema);
  const parts: string[] = [];
  for (const name of schema.names) {
    const value = valid[name];
    if (value !== undefined) parts.push(`${name}:${value}`);
  }
  return parts.join(',');
}

const integerPattern = /^-?\d+$/;

/**
 * Returns the values of an attribute string (the exact inverse of `formatAttributes`). Rejects
 * unknown names, duplicates, out-of-range or non-integer values, empty keys or values and stray
 * separators, naming the position of the offending item.
 */
export function parseAttributes(text: string, schema: AttributeSchema): AttributeValues {
  if (typeof text !== 'string') {
    throw new InvalidAttributeError(`an attribute string must be a string, got ${typeof text}`);
  }
  if (text === '') return Object.freeze({});
  const values: Record<string, number> = {};
  const items = text.split(',');
  items.forEach((item, index) => {
    const where = `item ${index + 1} ${JSON.stringify(item)} of ${JSON.stringify(text)}`;
    if (item === '') {
      throw new InvalidAttributeError(`stray separator: ${where} is empty`, { hint: 'write key:value pairs joined by single commas' });
    }
    const colon = item.indexOf(':');
    if (colon === -1) {
      throw new InvalidAttributeError(`${where} has no ":"`, { hint: 'write key:value, e.g. humor:3' });
    }
    if (item.indexOf(':', colon + 1) !== -1) {
      throw new InvalidAttributeError(`stray separator: ${where} has more than one ":"`);
    }
    const name = item.slice(0, colon);
    const raw = item.slice(colon + 1);
    if (name === '') throw new InvalidAttributeError(`${where} has an empty key`);
    if (raw === '') throw new InvalidAttributeError(`${where} has an empty value`, { attribute: name });
    const definition = schema.get(name);
    if (!definition) {
      throw new InvalidAttributeError(`unknown attribute "${name}" in ${where}`, {
        attribute: name,
        hint: `known attributes: ${schema.names.join(', ')}`,
      });
    }
    if (Object.prototype.hasOwnProperty.call(values, name)) {
      throw new InvalidAttributeError(`duplicate attribute "${name}" in ${where}`, { attribute: name });
    }
    if (!integerPattern.test(raw)) {
      throw new InvalidAttributeError(`attribute "${name}" has a non-integer value ${JSON.stringify(raw)} in ${where}`, { attribute: name });
    }
    const value = Number(raw);
    if (value < definition.min || value > definition.max) {
      throw new InvalidAttributeError(`attribute "${name}" is ${value}, outside ${definition.min}..${definition.max}, in ${where}`, {
        attribute: name,
      });
    }
    values[name] = value;
  });
  return Object.freeze(values);
}
