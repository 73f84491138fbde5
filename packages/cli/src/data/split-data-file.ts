import { mkdir, rename } from 'node:fs/promises';
import { dirname } from 'node:path';
import {
  DataFormatError,
  groupHash,
  InvalidOptionError,
  ProgressTracker,
  readJsonl,
  REGRESSION_LABEL_PREFIX,
  validateHelpSteerRow,
  validateNemoRecord,
  validateOasstMessage,
  validateRegressionRecord,
  type AttributeSchema,
  type JsonlReport,
  type ProgressListener,
  type RecordLocation,
} from '@steerlm/core';
import { openJsonlWriter, partialPathOf, type JsonlWriter } from '@steerlm/core/node';
import { dataContainerOf, type DataFormat } from './detect-data-format';
import { SPLIT_PARTS, splitTargets, type SplitPart, type SplitSize } from './split-sizes';

export interface SplitDataOptions {
  readonly input: string;
  readonly format: DataFormat;
  /** The file of each part; a part without a file is not written (its records are left out). */
  readonly outputs: Partial<Record<SplitPart, string>>;
  readonly sizes: Partial<Record<SplitPart, SplitSize>>;
  /** Changes which groups go where; the same seed and input always give the same split. */
  readonly seed: number;
  readonly schema: AttributeSchema;
  readonly onError?: 'throw' | 'skip';
  readonly onProgress?: ProgressListener;
  readonly signal?: AbortSignal;
}

/** What a split did: records and groups per part. */
export interface SplitSummary {
  readonly input: string;
  readonly format: DataFormat;
  readonly records: number;
  readonly groups: number;
  readonly parts: Partial<Record<SplitPart, { readonly file: string; readonly records: number; readonly groups: number }>>;
  /** Records in no part (the sizes sum to less than the input). */
  readonly unused: number;
  readonly skipped: number;
  readonly firstErrors: readonly string[];
}

/**
 * Returns the group of a record: an oasst1 message's tree, a NeMo or regression record's `tree_id`,
 * else the prompt (a HelpSteer prompt, a NeMo record's first User turn, a regression text's system
 * and first user turn), so responses to one prompt stay together.
 */
function groupOf(format: DataFormat, value: Record<string, unknown>): string {
  if (format === 'oasst1') return `tree:${String(value['message_tree_id'])}`;
  if (typeof value['tree_id'] === 'string') return `tree:${value['tree_id']}`;
  if (format === 'helpsteer' || format === 'helpsteer2') return `prompt:${String(value['prompt'])}`;
  if (format === 'nemo') {
    const turns = value['conversations'] as readonly { from: string; value: string }[];
    return `prompt:${turns.find((turn) => turn.from === 'User')?.value ?? ''}`;
  }
  const text = String(value['text']);
  const firstAnswer = text.indexOf('<extra_id_1>Assistant');
  return `prompt:${firstAnswer === -1 ? text.slice(0, -REGRESSION_LABEL_PREFIX.length) : text.slice(0, firstAnswer)}`;
}

/** Returns the check of one record of a format: it throws a located error, or returns the record as it is. */
function checkerOf(format: DataFormat, schema: AttributeSchema): (value: unknown, location: RecordLocation & { line: number }) => Record<string, unknown> {
  return (value, location) => {
    if (format === 'oasst1') validateOasstMessage(value, location);
    else if (format === 'helpsteer' || format === 'helpsteer2') validateHelpSteerRow(value, location);
    else if (format === 'nemo') validateNemoRecord(value, { location, schema });
    else validateRegressionRecord(value, { location, schema });
    return value as Record<string, unknown>;
  };
}

/** Reads the records of the input, each with its group, skipping bad ones in skip mode. */
function readGrouped(options: SplitDataOptions): {
  records: AsyncIterable<{ line: number; value: Record<string, unknown>; group: string }>;
  report: JsonlReport;
} {
  const reader = readJsonl<Record<string, unknown>>(options.input, {
    onError: options.onError ?? 'throw',
    validate: checkerOf(options.format, options.schema),
  });
  async function* records() {
    for await (const { line, value } of reader) yield { line, value, group: groupOf(options.format, value) };
  }
  return { records: records(), report: reader.report };
}

/**
 * Splits a JSONL dataset by group — an oasst1 tree's conversations never straddle two parts, nor the
 * responses to one prompt — into train, validation and test files of the sizes asked, seeded. Two
 * streaming passes: the first counts the records of each group (one number per group in memory), the
 * second writes each record, unchanged, to its part. Groups are dealt in the order of their seeded
 * hash, test first, then validation, then train, each part taking groups while that brings it closer
 * to its size; a part's size is met to within one group. Every part is written as FILE.partial and
 * renamed when all are complete.
 */
export async function splitDataFile(options: SplitDataOptions): Promise<SplitSummary> {
  if (dataContainerOf(options.input) === 'parquet') {
    throw new InvalidOptionError('data split reads JSONL (or .jsonl.gz), not parquet', {
      option: 'input',
      hint: 'convert it first: steerlm data convert --input FILE.parquet --output FILE.jsonl',
    });
  }
  const seed = options.seed;
  // Pass 1: the size of every group, keyed by its seeded hash (which is also the order groups are dealt in).
  const counts = new Map<number, number>();
  const first = readGrouped(options);
  let total = 0;
  for await (const { group } of first.records) {
    options.signal?.throwIfAborted();
    const key = groupHash(group, seed);
    counts.set(key, (counts.get(key) ?? 0) + 1);
    total += 1;
  }
  if (total === 0) throw new DataFormatError('the input has no records to split', { file: options.input, hint: 'check the path and --on-error' });
  const targets = splitTargets(options.sizes, total);
  const partOf = new Map<number, SplitPart>();
  const dealt: Record<SplitPart, { records: number; groups: number }> = {
    train: { records: 0, groups: 0 },
    validation: { records: 0, groups: 0 },
    test: { records: 0, groups: 0 },
  };
  const order = [...counts.keys()].sort((a, b) => a - b);
  let next = 0;
  // The part that takes the rest is dealt last, and takes every group left.
  const isRest = (part: SplitPart) => options.sizes[part] !== undefined && 'rest' in options.sizes[part];
  const dealOrder = (['test', 'validation', 'train'] as const).filter((part) => !isRest(part)).concat(SPLIT_PARTS.filter(isRest));
  for (const part of dealOrder) {
    const target = targets[part];
    if (target === undefined) continue;
    while (next < order.length) {
      const size = counts.get(order[next]!)!;
      const have = dealt[part].records;
      // Take the group when the part is short of its size and taking it brings the part closer to it.
      if (!isRest(part) && (have >= target || have + size - target > target - have)) break;
      partOf.set(order[next]!, part);
      dealt[part].records += size;
      dealt[part].groups += 1;
      next += 1;
    }
  }
  // Pass 2: every record to its part's file.
  const writers: Partial<Record<SplitPart, JsonlWriter>> = {};
  const tracker = new ProgressTracker('split', { total, unit: 'records', listeners: [options.onProgress] });
  let done = 0;
  try {
    for (const part of SPLIT_PARTS) {
      const file = options.outputs[part];
      if (file === undefined || targets[part] === undefined) continue;
      await mkdir(dirname(file), { recursive: true });
      writers[part] = await openJsonlWriter(partialPathOf(file), { append: false });
    }
    const second = readGrouped(options);
    for await (const { value, group } of second.records) {
      options.signal?.throwIfAborted();
      const part = partOf.get(groupHash(group, seed));
      if (part !== undefined) await writers[part]?.write(value);
      done += 1;
      if (done % 1000 === 0) tracker.step(done, 1000);
    }
  } finally {
    for (const writer of Object.values(writers)) await writer.close();
  }
  tracker.step(done, done % 1000);
  tracker.end();
  for (const part of SPLIT_PARTS) {
    const file = options.outputs[part];
    if (writers[part] !== undefined && file !== undefined) await rename(partialPathOf(file), file);
  }
  const parts: SplitSummary['parts'] = {};
  for (const part of SPLIT_PARTS) {
    const file = options.outputs[part];
    if (file !== undefined && targets[part] !== undefined) parts[part] = { file, ...dealt[part] };
  }
  return {
    input: options.input,
    format: options.format,
    records: total,
    groups: counts.size,
    parts,
    unused: total - dealt.train.records - dealt.validation.records - dealt.test.records,
    skipped: first.report.skipped,
    firstErrors: first.report.firstErrors.map((error) => error.message),
  };
}
