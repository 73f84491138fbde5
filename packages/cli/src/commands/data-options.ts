import { InvalidOptionError, type DataFormatError } from '@steerlm/core';
import type { ReadDataOptions } from '../data/read-data-conversations';
import { SCHEMA_NAMES } from '../models';
import { DATA_FORMATS } from '../data/detect-data-format';

/** The options every `steerlm data` command shares: the input, its format, its schema and what to do with bad records. */
export const DATA_INPUT_OPTIONS = {
  input: {
    kind: 'string',
    valueName: 'FILE',
    required: true,
    description: 'the dataset: JSONL, .jsonl.gz (decompressed as it streams) or .parquet',
  },
  format: {
    kind: 'string',
    choices: DATA_FORMATS,
    description: 'the input format (default: told from the extension and the first record)',
  },
  schema: { kind: 'string', default: 'steerlm', choices: SCHEMA_NAMES, description: 'the attribute schema of the labels' },
  'on-error': {
    kind: 'string',
    default: 'stop',
    choices: ['stop', 'skip'],
    description: 'at a bad record: stop, naming its file, line and field (what is written is kept), or skip it and count it',
  },
} as const;

/** The oasst1 options, as core's readOasstThreads takes them; the defaults are NeMo-Aligner's. */
export const OASST_OPTIONS = {
  lang: { kind: 'string', valueName: 'CODES', description: 'oasst1: keep only messages in these languages, comma-separated (e.g. en; default: all)' },
  'drop-deleted': { kind: 'boolean', description: 'oasst1: leave out deleted messages and their replies (NeMo keeps them)' },
  'review-passed': { kind: 'boolean', description: 'oasst1: keep only messages whose review passed, with their replies (NeMo keeps all)' },
  'oasst-labels': {
    kind: 'string',
    default: 'nemo',
    choices: ['nemo', 'schema'],
    description: "oasst1: the labels kept: NeMo's quality, toxicity, humor, creativity, or every label the schema names",
  },
  'empty-labels': {
    kind: 'string',
    default: 'empty',
    choices: ['empty', 'none'],
    description: 'oasst1: a labelled reply with none of the kept labels gets an empty label (NeMo: "") or none (null)',
  },
  grouping: {
    kind: 'string',
    default: 'auto',
    choices: ['auto', 'contiguous', 'buffered'],
    description: 'oasst1: rows are grouped by tree (contiguous, one tree in memory), any order (buffered, all in memory), or checked first (auto)',
  },
} as const;

/** Returns the items of a comma-separated option (--lang en,de; --attributes helpfulness); an empty list is an error. */
export function listOption(value: string, option: string): string[] {
  const items = value
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== '');
  if (items.length === 0) throw new InvalidOptionError(`--${option} needs at least one name`, { option });
  return items;
}

/** Writes the skipped records' first errors as notes. */
export function noteSkipped(note: (line: string) => void, skipped: number, firstErrors: readonly (string | DataFormatError)[]): void {
  if (skipped === 0) return;
  note(`skipped ${skipped} bad records; the first ones:`);
  for (const error of firstErrors) note(`  ${typeof error === 'string' ? error : error.message}`);
}

/** Returns core's oasst1 reader options from the values of OASST_OPTIONS. */
export function oasstReadOptions(values: {
  readonly lang?: string | undefined;
  readonly 'drop-deleted'?: boolean | undefined;
  readonly 'review-passed'?: boolean | undefined;
  readonly 'oasst-labels': string;
  readonly 'empty-labels': string;
  readonly grouping: string;
}): NonNullable<ReadDataOptions['oasst']> {
  return {
    ...(values.lang !== undefined ? { languages: listOption(values.lang, 'lang') } : {}),
    includeDeleted: values['drop-deleted'] !== true,
    requireReviewPassed: values['review-passed'] === true,
    ...(values['oasst-labels'] === 'schema' ? { labelNames: 'schema' as const } : {}),
    emptyLabels: values['empty-labels'] as 'empty' | 'none',
    grouping: values.grouping as 'auto' | 'contiguous' | 'buffered',
  };
}
