import { parseAttributes, STEERLM, type AttributeSchema } from '../attributes';
import type { Conversation, ConversationTurn } from '../prompt-template';
import type { JsonlSource } from './byte-source';
import { readJsonl, type JsonlReader, type ReadJsonlOptions } from './jsonl-reader';
import {
  asRecordError,
  expectArray,
  expectNonEmptyArray,
  expectNullableString,
  expectNumber,
  expectObject,
  expectString,
  recordError,
  type RecordLocation,
} from './record-location';

/** One sampled response of a SteerLM 2.0 record with the three log-probabilities of its importance weight. */
export interface SteerLM2Response {
  readonly from: 'Assistant';
  readonly value: string;
  /** log P(a | x, y): the attribute model's probability of the label given the response. */
  readonly 'log(P(a|x,y))': number;
  /** log P(y | x): the unconditioned (original SFT) model's log-probability of the response. */
  readonly 'log(P(y|x))': number;
  /** log Q'(y | a, x): the sampling SteerLM model's log-probability of the response under the label. */
  readonly 'log(Q(y|a,x))': number;
}

/**
 * A SteerLM 2.0 training record in NeMo-Aligner's layout (SteerLM2Dataset): the prompt turns, the
 * label the responses were sampled under, and the n responses of that prompt. Other keys (the
 * bootstrap's `prompt_id`) are kept.
 */
export interface SteerLM2Record {
  readonly system: string;
  /** The prompt: an odd number of turns, alternating User, Assistant, …, User. */
  readonly prompt_turns: readonly { readonly from: 'User' | 'Assistant'; readonly value: string }[];
  /** The attribute string the responses were sampled under; null for none. */
  readonly label: string | null;
  readonly responses: readonly SteerLM2Response[];
  readonly [extra: string]: unknown;
}

const LOG_KEYS = ['log(P(a|x,y))', 'log(P(y|x))', 'log(Q(y|a,x))'] as const;

/**
 * Returns a checked SteerLM 2.0 record: `system` a string, `prompt_turns` an odd, alternating list
 * starting and ending with User, `label` a valid attribute string of the schema (or null), and at
 * least one response from Assistant with a string value and three finite log-probabilities (≤ 0 for
 * the two model log-probabilities). Errors name the field path, e.g. `responses[2].log(P(y|x))`.
 */
export function validateSteerLM2Record(value: unknown, options: { schema?: AttributeSchema; location?: RecordLocation } = {}): SteerLM2Record {
  const location = options.location ?? {};
  const record = expectObject(value, location, undefined, 'a SteerLM 2.0 record');
  const system = expectString(record, 'system', location);
  const turns = expectArray(record, 'prompt_turns', location);
  if (turns.length % 2 !== 1) throw recordError(location, 'prompt_turns', `expected an odd number of turns ending with the user's, got ${turns.length}`);
  const prompt_turns = turns.map((turn, index) => {
    const path = `prompt_turns[${index}]`;
    const object = expectObject(turn, location, path, 'a turn');
    const from = expectString(object, 'from', location, `${path}.from`);
    const expected = index % 2 === 0 ? 'User' : 'Assistant';
    if (from !== expected)
      throw recordError(location, `${path}.from`, `expected "${expected}" (turns alternate User, Assistant, …), got ${JSON.stringify(from)}`);
    return { from: from as 'User' | 'Assistant', value: expectString(object, 'value', location, `${path}.value`) };
  });
  const label = record.label === undefined ? null : expectNullableString(record, 'label', location);
  if (label !== null) {
    try {
      parseAttributes(label, options.schema ?? STEERLM);
    } catch (error) {
      throw asRecordError(error, location, 'label');
    }
  }
  const items = expectNonEmptyArray(record, 'responses', location, 'response');
  const responses = items.map((item, index): SteerLM2Response => {
    const path = `responses[${index}]`;
    const object = expectObject(item, location, path, 'a response');
    const from = expectString(object, 'from', location, `${path}.from`);
    if (from !== 'Assistant')
      throw recordError(location, `${path}.from`, `expected "Assistant", got ${JSON.stringify(from)}`, 'all responses of a record come from the assistant');
    const text = expectString(object, 'value', location, `${path}.value`);
    const logs = LOG_KEYS.map((key) => {
      const number = expectNumber(object, key, location, `${path}.${key}`);
      if (!Number.isFinite(number) || (key !== 'log(P(a|x,y))' && number > 0)) {
        throw recordError(location, `${path}.${key}`, `expected a finite log-probability${key === 'log(P(a|x,y))' ? '' : ' ≤ 0'}, got ${number}`);
      }
      return number;
    });
    return { ...object, from: 'Assistant', value: text, 'log(P(a|x,y))': logs[0]!, 'log(P(y|x))': logs[1]!, 'log(Q(y|a,x))': logs[2]! };
  });
  return { ...record, system, prompt_turns, label, responses };
}

/** Returns a streaming reader of validated SteerLM 2.0 records; invalid ones are thrown or skipped like bad lines. */
export function readSteerLM2Records(
  source: JsonlSource,
  options: Omit<ReadJsonlOptions, 'validate'> & { schema?: AttributeSchema } = {},
): JsonlReader<SteerLM2Record> {
  const { schema, ...rest } = options;
  return readJsonl<SteerLM2Record>(source, {
    ...rest,
    validate: (value, location) => validateSteerLM2Record(value, { location, ...(schema ? { schema } : {}) }),
  });
}

/**
 * Returns the conversation of one response of a record: the prompt turns (earlier assistant turns
 * are context, `train: false`, and carry no label, as in NeMo) and the response under the record's label.
 */
export function steerLM2ResponseConversation(record: SteerLM2Record, response: number, options: { schema?: AttributeSchema } = {}): Conversation {
  const item = record.responses[response];
  if (item === undefined) throw recordError({}, `responses[${response}]`, `the record has ${record.responses.length} responses`);
  const turns: ConversationTurn[] = record.prompt_turns.map(({ from, value }) =>
    from === 'User' ? { role: 'user', text: value } : { role: 'assistant', text: value, train: false },
  );
  const attributes = record.label === null ? undefined : parseAttributes(record.label, options.schema ?? STEERLM);
  turns.push(attributes === undefined ? { role: 'assistant', text: item.value } : { role: 'assistant', text: item.value, attributes });
  return { system: record.system, turns };
}
