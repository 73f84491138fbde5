import { DataFormatError, SteerLMError } from '../errors';
import { describeType } from './byte-source';

/** Where a record was read from: the file (when known) and its 1-based line (when known). */
export interface RecordLocation {
  readonly file?: string;
  readonly line?: number;
}

/** Returns a DataFormatError located at `location` and the field path `field`. */
export function recordError(location: RecordLocation, field: string | undefined, message: string, hint?: string, cause?: unknown): DataFormatError {
  return new DataFormatError(message, {
    ...(location.file !== undefined ? { file: location.file } : {}),
    ...(location.line !== undefined ? { line: location.line } : {}),
    ...(field !== undefined ? { field } : {}),
    ...(hint !== undefined ? { hint } : {}),
    ...(cause !== undefined ? { cause } : {}),
  });
}

/**
 * Returns `error` as a DataFormatError at `location` and `field`: other SteerLM errors (an invalid
 * attribute string, a template error) are wrapped with their message; anything else is rethrown.
 */
export function asRecordError(error: unknown, location: RecordLocation, field: string | undefined): DataFormatError {
  if (DataFormatError.isInstance(error)) return error;
  if (!SteerLMError.isInstance(error)) throw error;
  const inner = error as SteerLMError;
  let message = inner.message;
  const prefix = inner.field !== undefined && inner.file === undefined && inner.line === undefined ? `field "${inner.field}": ` : undefined;
  if (prefix !== undefined && message.startsWith(prefix)) message = message.slice(prefix.length);
  if (inner.hint !== undefined && message.endsWith(` (${inner.hint})`)) message = message.slice(0, -(inner.hint.length + 3));
  const path = field !== undefined && inner.field !== undefined ? `${field}.${inner.field}` : (field ?? inner.field);
  return recordError(location, path, message, inner.hint, error);
}

/** Returns `value` as a plain object, or throws a located error naming `field` (the record when undefined). */
export function expectObject(value: unknown, location: RecordLocation, field: string | undefined, what: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw recordError(location, field, `expected ${what} (a JSON object), got ${describeType(value)}`);
  }
  return value as Record<string, unknown>;
}

/** Returns `object[key]` when it is a string, or throws a located error naming `path`. */
export function expectString(object: Record<string, unknown>, key: string, location: RecordLocation, path: string = key): string {
  const value = object[key];
  if (typeof value !== 'string') {
    throw recordError(location, path, `expected a string, got ${value === undefined ? 'nothing (the field is missing)' : describeType(value)}`);
  }
  return value;
}

/** Returns `object[key]` when it is a string or null (missing counts as null), or throws naming `path`. */
export function expectNullableString(object: Record<string, unknown>, key: string, location: RecordLocation, path: string = key): string | null {
  const value = object[key];
  if (value === undefined || value === null) return null;
  if (typeof value !== 'string') throw recordError(location, path, `expected a string or null, got ${describeType(value)}`);
  return value;
}

/** Returns `object[key]` when it is a finite number, or throws a located error naming `path`. */
export function expectNumber(object: Record<string, unknown>, key: string, location: RecordLocation, path: string = key): number {
  const value = object[key];
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw recordError(location, path, `expected a finite number, got ${value === undefined ? 'nothing (the field is missing)' : describeType(value)}`);
  }
  return value;
}

/** Returns `object[key]` when it is an array, or throws a located error naming `path`. */
export function expectArray(object: Record<string, unknown>, key: string, location: RecordLocation, path: string = key): unknown[] {
  const value = object[key];
  if (!Array.isArray(value)) {
    throw recordError(location, path, `expected an array, got ${value === undefined ? 'nothing (the field is missing)' : describeType(value)}`);
  }
  return value;
}

/** Returns `record[key]` when it is an array with at least one element, or throws a located error ("a record needs at least one `item`"). */
export function expectNonEmptyArray(record: Record<string, unknown>, key: string, location: RecordLocation, item: string): unknown[] {
  const value = expectArray(record, key, location);
  if (value.length === 0) throw recordError(location, key, `a record needs at least one ${item}`);
  return value;
}
