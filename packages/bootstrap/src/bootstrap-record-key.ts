import { InvalidOptionError } from '@steerlm/core';
import type { BootstrapRecord } from './run-bootstrap';

/** Returns the resume key of a bootstrap record: `prompt id` + NUL + `sample index`. */
export function bootstrapRecordKey(record: Pick<BootstrapRecord, 'prompt_id' | 'sample_index'>): string {
  if (typeof record.prompt_id !== 'string' || !Number.isInteger(record.sample_index))
    throw new InvalidOptionError('a bootstrap record needs prompt_id and sample_index');
  return `${record.prompt_id}\u0000${record.sample_index}`;
}
