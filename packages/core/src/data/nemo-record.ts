import { formatAttributes, parseAttributes, STEERLM, type AttributeSchema, type AttributeValues } from '../attributes';
import { DataFormatError } from '../errors';
import { DEFAULT_SYSTEM_PROMPT, STEERLM_TOKENS, type Conversation, type ConversationTurn, type LabelPlacement } from '../prompt-template';
import { splitHelpSteerPrompt } from './helpsteer';
import type { JsonlSource } from './byte-source';
import { readJsonl, type JsonlReader, type ReadJsonlOptions } from './jsonl-reader';
import { asRecordError, expectNonEmptyArray, expectNullableString, expectObject, expectString, recordError, type RecordLocation } from './record-location';

/** Who speaks a NeMo turn. */
export type NemoSpeaker = 'User' | 'Assistant';

/** One turn of a NeMo record; `label` is an attribute string (`quality:4,…`) or null. */
export interface NemoTurn {
  readonly from: NemoSpeaker;
  readonly value: string;
  readonly label: string | null;
}

/**
 * A NeMo-Aligner SteerLM training record (one JSONL line). Other keys a record carries, such as the
 * `tree_id` NeMo's oasst preprocessing adds, are kept as they are.
 */
export interface NemoRecord {
  readonly system: string;
  /** The speaker whose turns are masked out of the loss; NeMo's SteerLM data always uses "User". */
  readonly mask: 'User';
  readonly type: LabelPlacement;
  readonly conversations: readonly NemoTurn[];
  readonly [extra: string]: unknown;
}

export interface NemoRecordOptions {
  /** The schema labels are parsed with (default: STEERLM, the nine NeMo-Aligner attributes). */
  schema?: AttributeSchema;
  /**
   * Parse each label with the schema (default true); false only checks that it is a string or null, for
   * a reader that replaces the labels (annotation), so labels of another schema do not stop it.
   */
  checkLabels?: boolean;
}

const speakers: readonly string[] = ['User', 'Assistant'];
const types: readonly string[] = ['VALUE_TO_TEXT', 'TEXT_TO_VALUE'];

/**
 * Returns a checked copy of a NeMo record: every field's type, the speakers, the record type and each
 * label (parsed with the schema). Errors name the field path, e.g. `conversations[2].from`.
 */
export function validateNemoRecord(value: unknown, options: NemoRecordOptions & { location?: RecordLocation } = {}): NemoRecord {
  const location = options.location ?? {};
  const schema = options.schema ?? STEERLM;
  const record = expectObject(value, location, undefined, 'a NeMo record');
  const system = expectString(record, 'system', location);
  const mask = expectString(record, 'mask', location);
  if (mask !== 'User') throw recordError(location, 'mask', `expected "User", got ${JSON.stringify(mask)}`, 'NeMo SteerLM records mask the User turns');
  const type = expectString(record, 'type', location);
  if (!types.includes(type)) throw recordError(location, 'type', `expected "VALUE_TO_TEXT" or "TEXT_TO_VALUE", got ${JSON.stringify(type)}`);
  const turns = expectNonEmptyArray(record, 'conversations', location, 'turn');
  const conversations = turns.map((turn, index): NemoTurn => {
    const path = `conversations[${index}]`;
    const object = expectObject(turn, location, path, 'a turn');
    const from = expectString(object, 'from', location, `${path}.from`);
    if (!speakers.includes(from)) throw recordError(location, `${path}.from`, `expected "User" or "Assistant", got ${JSON.stringify(from)}`);
    const text = expectString(object, 'value', location, `${path}.value`);
    const label = expectNullableString(object, 'label', location, `${path}.label`);
    if (label !== null && options.checkLabels !== false) {
      try {
        parseAttributes(label, schema);
      } catch (error) {
        throw asRecordError(error, location, `${path}.label`);
      }
    }
    return { ...object, from: from as NemoSpeaker, value: text, label };
  });
  return { ...record, system, mask: 'User', type: type as LabelPlacement, conversations };
}

/**
 * Returns the conversation a NeMo record holds: speakers become roles and assistant labels become
 * attributes (an empty label gives `{}`); labels on User turns carry no steering meaning and are dropped.
 * The record's `type` becomes the conversation's `placement`, so a TEXT_TO_VALUE record trains its
 * labels as NeMo does; `placement` overrides it (e.g. 'VALUE_TO_TEXT' for every record). A User turn
 * holding earlier turns (`u1\n<extra_id_1>Assistant\na1\n<extra_id_1>User\nu2`, NeMo's HelpSteer2
 * records) becomes those turns, its assistant turns context only (`train: false`), which NeMo masks.
 */
export function nemoRecordToConversation(record: NemoRecord, options: NemoRecordOptions & { placement?: LabelPlacement } = {}): Conversation {
  const schema = options.schema ?? STEERLM;
  const turns = record.conversations.flatMap((turn, index): ConversationTurn[] => {
    if (turn.from === 'User') {
      if (!turn.value.includes(STEERLM_TOKENS.turn)) return [{ role: 'user', text: turn.value }];
      // NeMo's HelpSteer2 records hold a multi-turn prompt in one User turn: its earlier turns are context.
      try {
        return splitHelpSteerPrompt(turn.value).map((part) => (part.role === 'assistant' ? { ...part, train: false } : part));
      } catch (error) {
        if (!DataFormatError.isInstance(error)) throw error;
        const inner = error as DataFormatError;
        let message = inner.message.replace(/^field "prompt": /, '');
        if (inner.hint !== undefined && message.endsWith(` (${inner.hint})`)) message = message.slice(0, -(inner.hint.length + 3));
        throw recordError({}, `conversations[${index}].value`, `a multi-turn prompt (HelpSteer2 layout): ${message}`, inner.hint, error);
      }
    }
    if (turn.label === null) return [{ role: 'assistant', text: turn.value }];
    let attributes: AttributeValues;
    try {
      attributes = parseAttributes(turn.label, schema);
    } catch (error) {
      throw asRecordError(error, {}, `conversations[${index}].label`);
    }
    return [{ role: 'assistant', text: turn.value, attributes }];
  });
  const placement = options.placement ?? record.type;
  return placement === 'TEXT_TO_VALUE' ? { system: record.system, turns, placement } : { system: record.system, turns };
}

/**
 * Returns the NeMo record of a conversation (`type` defaults to the conversation's placement, else
 * VALUE_TO_TEXT; a missing system prompt becomes the default one); assistant attributes become label
 * strings, unlabeled turns get null. Unlabelled context-only turns (`train: false`) are written inside
 * the user turn around them, as NeMo's HelpSteer2 records hold a multi-turn prompt.
 */
export function conversationToNemoRecord(conversation: Conversation, options: NemoRecordOptions & { type?: LabelPlacement } = {}): NemoRecord {
  const schema = options.schema ?? STEERLM;
  const conversations: NemoTurn[] = [];
  let merging = false;
  conversation.turns.forEach((turn, index) => {
    const previous = conversations[conversations.length - 1];
    // Context-only assistant turns go back inside the user turn, as NeMo's HelpSteer2 records hold them.
    if (turn.role === 'assistant' && turn.train === false && turn.attributes === undefined && previous?.from === 'User') {
      conversations[conversations.length - 1] = { ...previous, value: `${previous.value}\n${STEERLM_TOKENS.turn}Assistant\n${turn.text}` };
      merging = true;
      return;
    }
    if (merging && turn.role === 'user' && previous !== undefined) {
      conversations[conversations.length - 1] = { ...previous, value: `${previous.value}\n${STEERLM_TOKENS.turn}User\n${turn.text}` };
      merging = false;
      return;
    }
    merging = false;
    conversations.push(nemoTurn(turn, index));
  });
  return { system: conversation.system ?? DEFAULT_SYSTEM_PROMPT, mask: 'User', type: options.type ?? conversation.placement ?? 'VALUE_TO_TEXT', conversations };

  function nemoTurn(turn: ConversationTurn, index: number): NemoTurn {
    if (turn.role !== 'user' && turn.role !== 'assistant') {
      throw new DataFormatError(`turn role must be "user" or "assistant", got ${JSON.stringify(turn.role)}`, { field: `turns[${index}].role` });
    }
    if (turn.attributes !== undefined && turn.role === 'user') {
      throw new DataFormatError('only assistant turns carry attribute labels', { field: `turns[${index}].attributes` });
    }
    let label: string | null = null;
    if (turn.attributes !== undefined) {
      try {
        label = formatAttributes(turn.attributes, schema);
      } catch (error) {
        throw asRecordError(error, {}, `turns[${index}].attributes`);
      }
    }
    return { from: turn.role === 'user' ? 'User' : 'Assistant', value: turn.text, label };
  }
}

export type ReadNemoRecordsOptions = Omit<ReadJsonlOptions, 'validate'> & NemoRecordOptions;

/** Returns a streaming reader of validated NeMo records; invalid records are thrown or skipped like bad lines. */
export function readNemoRecords(source: JsonlSource, options: ReadNemoRecordsOptions = {}): JsonlReader<NemoRecord> {
  const { schema, checkLabels, ...rest } = options;
  return readJsonl<NemoRecord>(source, {
    ...rest,
    validate: (value, location) =>
      validateNemoRecord(value, { location, ...(schema ? { schema } : {}), ...(checkLabels !== undefined ? { checkLabels } : {}) }),
  });
}
