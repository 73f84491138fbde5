import type { JsonlSource } from './byte-source';
import { readJsonl, type JsonlReader, type ReadJsonlOptions } from './jsonl-reader';
import { expectArray, expectNullableString, expectObject, expectString, recordError, type RecordLocation } from './record-location';
import { describeType } from './byte-source';

/** An oasst1 message row, checked and trimmed to the fields SteerLM uses. */
export interface OasstMessage {
  readonly messageId: string;
  /** The message this one replies to; null for a tree's root prompt. */
  readonly parentId: string | null;
  readonly treeId: string;
  readonly role: 'prompter' | 'assistant';
  readonly text: string;
  /** The language code, e.g. `en`; undefined when the row has none. */
  readonly lang: string | undefined;
  readonly deleted: boolean;
  /** Whether the message passed review; null when it was not reviewed. */
  readonly reviewResult: boolean | null;
  /** The message's rank among its siblings (0 best); null when unranked. */
  readonly rank: number | null;
  /** Human label means in [0, 1] by label name; null when the message has no labels. */
  readonly labels: Readonly<Record<string, number>> | null;
  /** How many annotators gave each label, by name; null when the message has no labels. */
  readonly labelCounts: Readonly<Record<string, number>> | null;
  /** The Detoxify classifier's scores by name; null when absent. */
  readonly detoxify: Readonly<Record<string, number>> | null;
  /** The 1-based line the row was read from. */
  readonly line: number;
}

function optionalBoolean(row: Record<string, unknown>, key: string, location: RecordLocation): boolean | null {
  const value = row[key];
  if (value === undefined || value === null) return null;
  if (typeof value !== 'boolean') throw recordError(location, key, `expected true, false or null, got ${describeType(value)}`);
  return value;
}

function optionalNumber(row: Record<string, unknown>, key: string, location: RecordLocation): number | null {
  const value = row[key];
  if (value === undefined || value === null) return null;
  if (typeof value !== 'number' || !Number.isFinite(value)) throw recordError(location, key, `expected a number or null, got ${describeType(value)}`);
  return value;
}

function readLabels(row: Record<string, unknown>, location: RecordLocation): { labels: Record<string, number>; counts: Record<string, number> } | null {
  if (row.labels === undefined || row.labels === null) return null;
  const labels = expectObject(row.labels, location, 'labels', 'labels { name, value, count }');
  const names = expectArray(labels, 'name', location, 'labels.name');
  const values = expectArray(labels, 'value', location, 'labels.value');
  const counts = labels.count === undefined || labels.count === null ? null : expectArray(labels, 'count', location, 'labels.count');
  if (values.length !== names.length || (counts !== null && counts.length !== names.length)) {
    throw recordError(
      location,
      'labels',
      `labels.name, labels.value and labels.count differ in length (${names.length}, ${values.length}, ${counts?.length ?? 'none'})`,
    );
  }
  const byName: Record<string, number> = {};
  const countByName: Record<string, number> = {};
  names.forEach((name, index) => {
    if (typeof name !== 'string') throw recordError(location, `labels.name[${index}]`, `expected a string, got ${describeType(name)}`);
    if (Object.prototype.hasOwnProperty.call(byName, name)) throw recordError(location, `labels.name[${index}]`, `label "${name}" appears twice`);
    const value = values[index];
    if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || value > 1) {
      throw recordError(
        location,
        `labels.value[${index}]`,
        `label "${name}" must be a number in [0, 1], got ${typeof value === 'number' ? value : describeType(value)}`,
      );
    }
    byName[name] = value;
    const count = counts === null ? 1 : counts[index];
    if (typeof count !== 'number' || !Number.isSafeInteger(count) || count < 0) {
      throw recordError(location, `labels.count[${index}]`, `expected a non-negative integer, got ${typeof count === 'number' ? count : describeType(count)}`);
    }
    countByName[name] = count;
  });
  return { labels: byName, counts: countByName };
}

function readScores(row: Record<string, unknown>, key: string, location: RecordLocation): Record<string, number> | null {
  if (row[key] === undefined || row[key] === null) return null;
  const scores = expectObject(row[key], location, key, `${key} scores`);
  const result: Record<string, number> = {};
  for (const [name, value] of Object.entries(scores)) {
    if (typeof value !== 'number' || !Number.isFinite(value)) throw recordError(location, `${key}.${name}`, `expected a number, got ${describeType(value)}`);
    result[name] = value;
  }
  return result;
}

/** Returns the checked oasst1 message of a parsed row; errors name the line and the field. */
export function validateOasstMessage(value: unknown, location: RecordLocation & { line: number }): OasstMessage {
  const row = expectObject(value, location, undefined, 'an oasst1 message row');
  const messageId = expectString(row, 'message_id', location);
  const parentId = expectNullableString(row, 'parent_id', location);
  const treeId = expectString(row, 'message_tree_id', location);
  const role = expectString(row, 'role', location);
  if (role !== 'prompter' && role !== 'assistant') throw recordError(location, 'role', `expected "prompter" or "assistant", got ${JSON.stringify(role)}`);
  const text = expectString(row, 'text', location);
  const lang = row.lang === undefined || row.lang === null ? undefined : expectString(row, 'lang', location);
  const labels = readLabels(row, location);
  return {
    messageId,
    parentId,
    treeId,
    role,
    text,
    lang,
    deleted: optionalBoolean(row, 'deleted', location) ?? false,
    reviewResult: optionalBoolean(row, 'review_result', location),
    rank: optionalNumber(row, 'rank', location),
    labels: labels?.labels ?? null,
    labelCounts: labels?.counts ?? null,
    detoxify: readScores(row, 'detoxify', location),
    line: location.line,
  };
}

/** Returns a streaming reader of checked oasst1 message rows (the dataset's message-per-line JSONL). */
export function readOasstMessages(source: JsonlSource, options: Omit<ReadJsonlOptions, 'validate'> = {}): JsonlReader<OasstMessage> {
  return readJsonl<OasstMessage>(source, { ...options, validate: validateOasstMessage });
}
