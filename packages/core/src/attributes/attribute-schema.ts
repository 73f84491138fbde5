import { InvalidSchemaError } from '../errors';

/** One steerable attribute: an integer scale from `min` to `max`. */
export interface AttributeDefinition {
  readonly name: string;
  readonly min: number;
  readonly max: number;
  /** The value used when a request leaves the attribute unset (e.g. by a steering server). */
  readonly default?: number;
  readonly description?: string;
}

/** Attribute values by name; attributes left out are unset. */
export type AttributeValues = Readonly<Record<string, number>>;

/** An immutable, validated, ordered set of attributes. */
export interface AttributeSchema {
  /** The attributes in the schema's order (the order of attribute strings). */
  readonly attributes: readonly AttributeDefinition[];
  /** The attribute names in order. */
  readonly names: readonly string[];
  /** Returns the definition of `name`, or undefined. */
  get(name: string): AttributeDefinition | undefined;
  /** Returns whether the schema has an attribute `name`. */
  has(name: string): boolean;
  /** Returns the position of `name` in the schema's order, or -1. */
  indexOf(name: string): number;
  /** Returns the values of every attribute that has a default. */
  defaults(): AttributeValues;
  /** Returns a new schema with these attributes appended after the existing ones. */
  extend(attributes: readonly AttributeDefinition[]): AttributeSchema;
}

export interface AttributeSchemaDefinition {
  attributes: readonly AttributeDefinition[];
}

const namePattern = /^[a-z_]+$/;

function validateDefinition(definition: AttributeDefinition, index: number): AttributeDefinition {
  const field = `attributes[${index}]`;
  if (typeof definition !== 'object' || definition === null) {
    throw new InvalidSchemaError('an attribute must be an object { name, min, max }', { field });
  }
  const { name, min, max } = definition;
  if (typeof name !== 'string' || !namePattern.test(name)) {
    throw new InvalidSchemaError(`attribute name ${JSON.stringify(name)} is invalid`, {
      field: `${field}.name`,
      hint: 'use lowercase letters and underscores only, e.g. "humor" or "not_appropriate"',
    });
  }
  for (const [key, value] of [
    ['min', min],
    ['max', max],
  ] as const) {
    if (typeof value !== 'number' || !Number.isSafeInteger(value)) {
      throw new InvalidSchemaError(`attribute "${name}" has a non-integer ${key}: ${String(value)}`, {
        field: `${field}.${key}`,
        hint: 'attribute scales are integer ranges, e.g. min 0, max 4',
      });
    }
  }
  if (min >= max) {
    throw new InvalidSchemaError(`attribute "${name}" has min ${min} >= max ${max}`, {
      field: `${field}.max`,
      hint: 'max must be greater than min',
    });
  }
  if (definition.default !== undefined) {
    const value = definition.default;
    if (!Number.isSafeInteger(value) || value < min || value > max) {
      throw new InvalidSchemaError(`attribute "${name}" has default ${String(value)} outside ${min}..${max}`, {
        field: `${field}.default`,
      });
    }
  }
  const copy: AttributeDefinition = {
    name,
    min,
    max,
    ...(definition.default !== undefined ? { default: definition.default } : {}),
    ...(definition.description !== undefined ? { description: String(definition.description) } : {}),
  };
  return Object.freeze(copy);
}

class FrozenAttributeSchema implements AttributeSchema {
  readonly attributes: readonly AttributeDefinition[];
  readonly names: readonly string[];
  readonly #byName: ReadonlyMap<string, number>;

  constructor(attributes: readonly AttributeDefinition[]) {
    const validated = attributes.map(validateDefinition);
    const byName = new Map<string, number>();
    validated.forEach((definition, index) => {
      if (byName.has(definition.name)) {
        throw new InvalidSchemaError(`attribute "${definition.name}" is defined twice`, {
          field: `attributes[${index}].name`,
          hint: 'attribute names must be unique within a schema',
        });
      }
      byName.set(definition.name, index);
    });
    this.attributes = Object.freeze(validated);
    this.names = Object.freeze(validated.map((definition) => definition.name));
    this.#byName = byName;
    Object.freeze(this);
  }

  get(name: string): AttributeDefinition | undefined {
    const index = this.#byName.get(name);
    return index === undefined ? undefined : this.attributes[index];
  }

  has(name: string): boolean {
    return this.#byName.has(name);
  }

  indexOf(name: string): number {
    return this.#byName.get(name) ?? -1;
  }

  defaults(): AttributeValues {
    const values: Record<string, number> = {};
    for (const definition of this.attributes) {
      if (definition.default !== undefined) values[definition.name] = definition.default;
    }
    return Object.freeze(values);
  }

  extend(attributes: readonly AttributeDefinition[]): AttributeSchema {
    return new FrozenAttributeSchema([...this.attributes, ...attributes]);
  }

  toJSON(): AttributeSchemaDefinition {
    return { attributes: this.attributes };
  }
}

/** Returns an immutable schema after validating names (`[a-z_]+`, unique) and integer ranges. */
export function defineAttributeSchema(definition: AttributeSchemaDefinition): AttributeSchema {
  if (typeof definition !== 'object' || definition === null || !Array.isArray(definition.attributes)) {
    throw new InvalidSchemaError('a schema definition must be { attributes: [...] }', { field: 'attributes' });
  }
  if (definition.attributes.length === 0) {
    throw new InvalidSchemaError('a schema needs at least one attribute', { field: 'attributes' });
  }
  return new FrozenAttributeSchema(definition.attributes);
}
