import type { AttributeSchema } from '../attributes';
import type { RecordLocation } from '../data/record-location';
import { validateNemoRecord, type NemoRecord, type NemoRecordOptions } from '../data/nemo-record';
import { validateRegressionRecord, type RegressionOptions, type RegressionRecord } from '../data/regression-record';
import { writeJsonl, type JsonlWriterOptions } from './jsonl-writer';

type Records<T> = AsyncIterable<T> | Iterable<T>;
type Validator<T> = (value: unknown, options: { location?: RecordLocation; schema?: AttributeSchema }) => T;

/** Writes `records`, each checked by `validate` with the schema first (a bad one stops the write naming its 1-based position). */
function writeValidated<T>(
  path: string,
  records: Records<T>,
  validate: Validator<T>,
  options: JsonlWriterOptions & { schema?: AttributeSchema },
): Promise<number> {
  const { schema, ...writerOptions } = options;
  return writeJsonl(path, records, { ...writerOptions, validate: (record, location) => validate(record, { location, ...(schema ? { schema } : {}) }) });
}

/** Writes NeMo records (checked first) to a JSONL file, replacing it unless `append`; returns how many were written. */
export function writeNemoRecords(path: string, records: Records<NemoRecord>, options: JsonlWriterOptions & NemoRecordOptions = {}): Promise<number> {
  return writeValidated(path, records, validateNemoRecord, options);
}

/** Writes regression records (checked first) to a JSONL file, replacing it unless `append`; returns how many were written. */
export function writeRegressionRecords(
  path: string,
  records: Records<RegressionRecord>,
  options: JsonlWriterOptions & RegressionOptions = {},
): Promise<number> {
  return writeValidated(path, records, validateRegressionRecord, options);
}
