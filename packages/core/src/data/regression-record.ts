import { STEERLM, validateAttributes, type AttributeSchema, type AttributeValues } from '../attributes';
import { STEERLM_TOKENS, steerlmTemplate, type Conversation } from '../prompt-template';
import type { JsonlSource } from './byte-source';
import { describeType } from './byte-source';
import { readJsonl, type JsonlReader, type ReadJsonlOptions } from './jsonl-reader';
import { asRecordError, expectArray, expectObject, expectString, recordError, type RecordLocation } from './record-location';

/** The label value of an attribute a regression record does not rate (PyTorch's ignore index). */
export const REGRESSION_MISSING = -100;

/** The token the regression reward model reads the attributes at. */
export const REGRESSION_LABEL_PREFIX = STEERLM_TOKENS.label;

/**
 * A NeMo-Aligner regression reward model sample: the conversation rendered up to and including the
 * label prefix `<extra_id_2>` of the rated assistant turn, and one value per schema attribute in the
 * schema's order (STEERLM: the canonical nine), -100 where unrated.
 */
export interface RegressionRecord {
  readonly text: string;
  readonly label: readonly number[];
}

export interface RegressionOptions {
  /** The attributes and the order of the label slots (default: STEERLM). */
  schema?: AttributeSchema;
}

/**
 * Returns one regression record per labeled assistant turn (an empty label rates nothing and gives
 * none): the SteerLM rendering of the system prompt and the turns up to that one, in TEXT_TO_VALUE
 * placement without earlier labels (as NeMo-Aligner's process_to_regression_format writes it), ending in
 * `<extra_id_2>`.
 */
export function conversationToRegressionRecords(conversation: Conversation, options: RegressionOptions = {}): RegressionRecord[] {
  const schema = options.schema ?? STEERLM;
  const plain = conversation.turns.map((turn) => ({ role: turn.role, text: turn.text }));
  const records: RegressionRecord[] = [];
  conversation.turns.forEach((turn, index) => {
    if (turn.role !== 'assistant' || turn.attributes === undefined || Object.keys(turn.attributes).length === 0) return;
    let attributes: AttributeValues;
    try {
      attributes = validateAttributes(turn.attributes, schema);
    } catch (error) {
      throw asRecordError(error, {}, `turns[${index}].attributes`);
    }
    const prefix = steerlmTemplate.render(
      { ...(conversation.system !== undefined ? { system: conversation.system } : {}), turns: plain.slice(0, index + 1) },
      { schema, placement: 'TEXT_TO_VALUE' },
    );
    records.push({ text: `${prefix}${REGRESSION_LABEL_PREFIX}`, label: schema.names.map((name) => attributes[name] ?? REGRESSION_MISSING) });
  });
  return records;
}

/** Returns the attribute values of a regression label (slots of -100 left out), in the schema's order. */
export function regressionLabelToAttributes(label: readonly number[], options: RegressionOptions = {}): Readonly<Record<string, number>> {
  const schema = options.schema ?? STEERLM;
  const values: Record<string, number> = {};
  schema.names.forEach((name, index) => {
    const value = label[index];
    if (value !== undefined && value !== REGRESSION_MISSING) values[name] = value;
  });
  return Object.freeze(values);
}

/**
 * Returns the checked record: `text` a string ending in `<extra_id_2>`, `label` one finite number per
 * schema attribute, each -100 or inside the attribute's range (fractional values allowed).
 */
export function validateRegressionRecord(value: unknown, options: RegressionOptions & { location?: RecordLocation } = {}): RegressionRecord {
  const location = options.location ?? {};
  const schema = options.schema ?? STEERLM;
  const record = expectObject(value, location, undefined, 'a regression record { text, label }');
  const text = expectString(record, 'text', location);
  if (!text.endsWith(REGRESSION_LABEL_PREFIX)) {
    throw recordError(
      location,
      'text',
      `the text must end with the label prefix ${REGRESSION_LABEL_PREFIX}`,
      'render the conversation up to the rated turn, then append the prefix',
    );
  }
  const label = expectArray(record, 'label', location);
  if (label.length !== schema.names.length) {
    throw recordError(
      location,
      'label',
      `expected ${schema.names.length} values (${schema.names.join(', ')}), got ${label.length}`,
      `use ${REGRESSION_MISSING} for an unrated attribute`,
    );
  }
  const checked = label.map((slot, index) => {
    const definition = schema.attributes[index]!;
    if (typeof slot !== 'number' || !Number.isFinite(slot))
      throw recordError(location, `label[${index}]`, `expected a number for "${definition.name}", got ${describeType(slot)}`);
    if (slot !== REGRESSION_MISSING && (slot < definition.min || slot > definition.max)) {
      throw recordError(
        location,
        `label[${index}]`,
        `"${definition.name}" is ${slot}, outside ${definition.min}..${definition.max}`,
        `use ${REGRESSION_MISSING} for an unrated attribute`,
      );
    }
    return slot;
  });
  return { text, label: checked };
}

/** Returns a streaming reader of checked regression records. */
export function readRegressionRecords(
  source: JsonlSource,
  options: Omit<ReadJsonlOptions, 'validate'> & RegressionOptions = {},
): JsonlReader<RegressionRecord> {
  const { schema, ...rest } = options;
  return readJsonl<RegressionRecord>(source, {
    ...rest,
    validate: (value, location) => validateRegressionRecord(value, { location, ...(schema ? { schema } : {}) }),
  });
}
