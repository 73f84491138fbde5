import type { NemoRecord, NemoRecordOptions } from '../data/nemo-record';
import { validateNemoRecord } from '../data/nemo-record';
import { validateRegressionRecord, type RegressionOptions, type RegressionRecord } from '../data/regression-record';
import { writeJsonl, type JsonlWriterOptions } from './jsonl-writer';

/**
 * Writes NeMo records (checked first; a bad one stops the write, naming its 1-based position as the
 * line) to a JSONL file, replacing it unless `append`; returns how many were written.
 */
export function writeNemoRecords(
  path: string,
  records: AsyncIterable<NemoRecord> | Iterable<NemoRecord>,
  options: JsonlWriterOptions & NemoRecordOptions = {},
): Promise<number> {
  const { schema, ...writerOptions } = options;
  return writeJsonl(path, records, { ...writerOptions, validate: (record, location) => validateNemoRecord(record, { location, ...(schema ? { schema } : {}) }) });
}

/** Writes regression records (checked first; a bad one stops the write naming its 1-based position) and returns how many were written. */
export function writeRegressionRecords(
  path: string,
  records: AsyncIterable<RegressionRecord> | Iterable<RegressionRecord>,
  options: JsonlWriterOptions & RegressionOptions = {},
): Promise<number> {
  const { schema, ...writerOptions } = options;
  return writeJsonl(path, records, {
    ...writerOptions,
    validate: (record, location) => validateRegressionRecord(record, { location, ...(schema ? { schema } : {}) }),
  });
}
