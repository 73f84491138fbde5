import {
  formatAttributes,
  InvalidOptionError,
  ProgressTracker,
  type AttributeScore,
  type AttributeScorer,
  type ProgressListener,
  type ScoringInput,
} from '@steerlm/core';
import { openResumableJsonlWriter, type JsonlTailRepair } from '@steerlm/core/node';

/** One response to label: a stable id (the resume key), its input, and data copied into the output. */
export interface AnnotationRecord {
  readonly id: string;
  readonly input: ScoringInput;
  readonly data?: Readonly<Record<string, unknown>>;
}

/** Why a record was not annotated. */
export type AnnotationSkipReason = 'already-annotated' | 'duplicate-id' | 'missing-id' | 'empty-response' | 'invalid-text' | 'invalid-input';

/** The default output line of one annotated record. */
export interface AnnotationOutput {
  id: string;
  /** The attribute string of the rounded values, e.g. `quality:3,toxicity:0`. */
  label: string;
  /** The predicted bins (`AttributeScore.rounded`: for an AttributePredictor, calibrated for MAE, clamped and rounded). */
  attributes: Record<string, number>;
  /** The continuous predictions. */
  values: Record<string, number>;
  [key: string]: unknown;
}

export interface AnnotateOptions {
  readonly scorer: AttributeScorer;
  readonly records: AsyncIterable<AnnotationRecord> | Iterable<AnnotationRecord>;
  /**
   * The JSONL file of labels. It is written as `<output>.partial` and renamed into place when every
   * record is done, so `output` is always complete. Ids already in the partial file (a killed run) or
   * in a finished `output` are skipped: re-running resumes.
   */
  readonly output: string;
  /** Records scored per call (default 32). */
  readonly batchSize?: number;
  /**
   * Batches scored at once (default 1). With 2, the next batch is featurized and handed to the model while
   * the previous one runs (USE-lite's onnxruntime sessions in worker threads), and outputs are still written
   * in input order. The scorer must allow concurrent `score` calls (an AttributePredictor does).
   */
  readonly batchesInFlight?: number;
  /** Builds the output line (default AnnotationOutput plus `data`); it must keep `id` for resuming. */
  readonly toOutput?: (record: AnnotationRecord, score: AttributeScore) => { id: string; [key: string]: unknown };
  /** Flush each record to the disk, not just the OS (default false). */
  readonly sync?: boolean;
  readonly onProgress?: ProgressListener;
  readonly signal?: AbortSignal;
}

/** What an annotation run did. */
export interface AnnotationSummary {
  /** Records read from the input. */
  read: number;
  /** Records labelled and written by this run. */
  written: number;
  /** Records not labelled, by reason (`already-annotated` counts those found in the output from an earlier run). */
  skipped: Record<AnnotationSkipReason, number>;
  /** Records found in the output from earlier runs (a killed run's partial file, or a finished output). */
  resumed: number;
  /** Output lines from earlier runs without a string id (a cut-off last line is repaired, not counted). */
  unreadableOutputLines: number;
  /** What was done to an interrupted last line of the output. */
  repair: JsonlTailRepair;
  elapsedMs: number;
  recordsPerSecond: number;
}

const loneSurrogate = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** Returns why a record cannot be scored, or undefined when it can. */
function skipReason(record: AnnotationRecord): AnnotationSkipReason | undefined {
  if (typeof record !== 'object' || record === null) return 'invalid-input';
  if (typeof record.id !== 'string' || record.id === '') return 'missing-id';
  const input = record.input;
  if (typeof input !== 'object' || input === null || typeof input.response !== 'string' || !Array.isArray(input.context)) return 'invalid-input';
  if (input.response.trim() === '') return 'empty-response';
  const texts = [input.response, input.system ?? '', ...input.context.map((turn) => turn?.text)];
  if (texts.some((text) => typeof text !== 'string')) return 'invalid-input';
  if (texts.some((text) => loneSurrogate.test(text as string))) return 'invalid-text';
  return undefined;
}

function defaultOutput(schema: AttributeScorer['schema']) {
  return (record: AnnotationRecord, score: AttributeScore): AnnotationOutput => ({
    ...(record.data ?? {}),
    id: record.id,
    label: formatAttributes(score.rounded, schema),
    attributes: { ...score.rounded },
    values: { ...score.values },
  });
}

/**
 * Returns a summary after labelling every record into the output JSONL file in batches. Atomic: records
 * stream into `<output>.partial`, renamed over `output` only when all are done. Resumable: ids already
 * in the partial file (from a killed run) or in a finished output are skipped, and a cut-off last line
 * is repaired first, so re-running continues without duplicating records. Records that cannot be scored (no id, a repeated id,
 * an empty response, text with lone surrogates) are skipped and counted by reason.
 */
export async function annotate(options: AnnotateOptions): Promise<AnnotationSummary> {
  const { scorer, output } = options;
  const batchSize = options.batchSize ?? 32;
  if (!Number.isSafeInteger(batchSize) || batchSize < 1)
    throw new InvalidOptionError(`batchSize must be a positive integer, got ${batchSize}`, { option: 'batchSize' });
  if (typeof output !== 'string' || output === '') throw new InvalidOptionError('output must be a file path', { option: 'output' });
  const batchesInFlight = options.batchesInFlight ?? 1;
  if (!Number.isSafeInteger(batchesInFlight) || batchesInFlight < 1)
    throw new InvalidOptionError(`batchesInFlight must be a positive integer, got ${batchesInFlight}`, { option: 'batchesInFlight' });
  const toOutput = options.toOutput ?? defaultOutput(scorer.schema);
  const started = performance.now();
  const seen = new Set<string>();
  let unreadableOutputLines = 0;
  // Opened before any scoring: an output that cannot be written fails here, not after the work.
  const writer = await openResumableJsonlWriter<{ id?: unknown }>(output, {
    staged: true,
    ...(options.sync ? { sync: true } : {}),
    onExisting: (value) => {
      if (typeof value === 'object' && value !== null && typeof value.id === 'string') seen.add(value.id);
      else unreadableOutputLines += 1;
    },
  });
  const previouslyDone = new Set(seen);
  const skipped: Record<AnnotationSkipReason, number> = {
    'already-annotated': 0,
    'duplicate-id': 0,
    'missing-id': 0,
    'empty-response': 0,
    'invalid-text': 0,
    'invalid-input': 0,
  };
  const tracker = new ProgressTracker('annotate', { unit: 'records', listeners: [options.onProgress] });
  let read = 0;
  let written = 0;
  let step = 0;
  let batch: AnnotationRecord[] = [];
  // Batches being scored, oldest first: each is written, in order, once its scores are in.
  const inFlight: { records: AnnotationRecord[]; scores: Promise<AttributeScore[]> }[] = [];
  const writeOldest = async () => {
    const { records, scores: pending } = inFlight.shift()!;
    const scores = await pending;
    for (let index = 0; index < records.length; index += 1) {
      const record = records[index]!;
      const line = toOutput(record, scores[index]!);
      if (line?.id !== record.id) throw new InvalidOptionError(`toOutput must keep the record id "${record.id}" in field "id"`, { option: 'toOutput' });
      await writer.write(line);
      written += 1;
    }
    step += 1;
    tracker.step(step, records.length, { written, skipped: Object.values(skipped).reduce((sum, count) => sum + count, 0) });
  };
  const flush = async () => {
    if (batch.length > 0) {
      options.signal?.throwIfAborted();
      const records = batch;
      batch = [];
      const scores = Promise.resolve().then(() => scorer.score(records.map((record) => record.input)));
      // Awaited in order by writeOldest; this only keeps a failure from being unhandled while it waits.
      scores.catch(() => undefined);
      inFlight.push({ records, scores });
    }
    while (inFlight.length >= batchesInFlight) await writeOldest();
  };
  try {
    for await (const record of options.records) {
      read += 1;
      const reason = skipReason(record);
      if (reason) {
        skipped[reason] += 1;
        continue;
      }
      if (seen.has(record.id)) {
        skipped[previouslyDone.has(record.id) ? 'already-annotated' : 'duplicate-id'] += 1;
        continue;
      }
      seen.add(record.id);
      batch.push(record);
      if (batch.length >= batchSize) await flush();
    }
    await flush();
    while (inFlight.length > 0) await writeOldest();
  } catch (error) {
    // The partial file keeps what was written; the next run resumes from it.
    await writer.close().catch(() => undefined);
    throw error;
  }
  await writer.commit();
  const elapsedMs = performance.now() - started;
  const summary: AnnotationSummary = {
    read,
    written,
    skipped,
    resumed: writer.resumed,
    unreadableOutputLines,
    repair: writer.repair,
    elapsedMs,
    recordsPerSecond: elapsedMs > 0 ? (written * 1000) / elapsedMs : 0,
  };
  tracker.end({ ...summary });
  return summary;
}
