import { constants } from 'node:fs';
import { access, mkdir, stat } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import {
  DataFormatError,
  formatAttributes,
  hashString,
  hashStringSeeded,
  InvalidOptionError,
  ProgressTracker,
  readNemoRecords,
  type AttributeScorer,
  type NemoRecord,
  type NemoTurn,
  type ProgressListener,
  type ScoringInput,
} from '@steerlm/core';
import { openResumableJsonlWriter, partialPathOf, type ResumableJsonlWriter } from '@steerlm/core/node';

export interface AnnotateNemoFileOptions {
  readonly scorer: AttributeScorer;
  /** The NeMo SteerLM JSONL to label (labels it has are replaced). */
  readonly data: string;
  /**
   * The annotated NeMo JSONL (VALUE_TO_TEXT). Written as `<output>.partial` and renamed into place
   * when every record is done; a killed run resumes from the partial file. Must not be `data`.
   */
  readonly output: string;
  /** Responses scored per call (default 64). */
  readonly batchSize?: number;
  /**
   * Calls scored at once (default 1). With 2, the next batch is featurized and handed to the model while
   * the previous one runs (USE-lite's onnxruntime sessions in worker threads); records are still written in
   * order. The scorer must allow concurrent `score` calls (an AttributePredictor does).
   */
  readonly batchesInFlight?: number;
  readonly onProgress?: ProgressListener;
  readonly signal?: AbortSignal;
}

/** What {@link annotateNemoFile} did. */
export interface NemoAnnotationSummary {
  /** Records in the output. */
  records: number;
  /** Assistant turns labelled in the output. */
  responses: number;
  /** Records found done in the partial file of a killed run (not scored again). */
  resumed: number;
  /** Responses scored by this run. */
  scored: number;
  output: string;
  elapsedMs: number;
}

async function statOrUndefined(path: string) {
  return stat(path).catch(() => undefined);
}

/**
 * Throws an InvalidOptionError unless `output` can be written without touching `data`: they must be
 * different files (after resolving the path, links and hard links), `output` must not be a folder,
 * and its folder (or the nearest existing one above it) must be a writable folder.
 */
export async function checkAnnotationPaths(data: string, output: string): Promise<void> {
  if (typeof data !== 'string' || data === '') throw new InvalidOptionError('data must be a file path', { option: 'data' });
  if (typeof output !== 'string' || output === '') throw new InvalidOptionError('output must be a file path', { option: 'output' });
  const [dataStat, outputStat] = await Promise.all([statOrUndefined(data), statOrUndefined(output)]);
  const sameFile =
    resolve(data) === resolve(output) ||
    (dataStat !== undefined && outputStat !== undefined && dataStat.dev === outputStat.dev && dataStat.ino === outputStat.ino);
  if (sameFile) {
    throw new InvalidOptionError(`the output ${output} is the input data file`, {
      option: 'output',
      hint: 'write the annotation to a new file; the input is read while the output is written',
    });
  }
  if (resolve(partialPathOf(output)) === resolve(data)) {
    throw new InvalidOptionError(`the output's partial file ${partialPathOf(output)} is the input data file`, {
      option: 'output',
      hint: 'choose another output name',
    });
  }
  if (outputStat?.isDirectory())
    throw new InvalidOptionError(`the output ${output} is a folder`, { option: 'output', hint: 'give a file path, e.g. annotated.jsonl' });
  // The output's folder (or the nearest one that exists, where the rest will be created) must be writable.
  let folder = dirname(resolve(output));
  let folderStat = await statOrUndefined(folder);
  while (folderStat === undefined && dirname(folder) !== folder) {
    folder = dirname(folder);
    folderStat = await statOrUndefined(folder);
  }
  const writable =
    folderStat?.isDirectory() === true &&
    (await access(folder, constants.W_OK | constants.X_OK).then(
      () => true,
      () => false,
    ));
  if (!writable) {
    throw new InvalidOptionError(
      `the output ${output} cannot be written: ${folder} is ${folderStat?.isDirectory() === false ? 'not a folder' : 'not writable'}`,
      {
        option: 'output',
        hint: 'choose a writable location for the output',
      },
    );
  }
}

/** Returns a fingerprint of a record's text (system prompt, speakers and turn texts; not labels). */
function fingerprintOf(record: unknown, location: { file: string; line: number }): string {
  const value = record as { system?: unknown; conversations?: unknown };
  if (typeof value !== 'object' || value === null || !Array.isArray(value.conversations)) {
    throw new DataFormatError('the partial output holds a line that is not a NeMo record', {
      ...location,
      hint: 'delete the partial file to start the annotation over',
    });
  }
  const text = JSON.stringify([value.system, value.conversations.map((turn: { from?: unknown; value?: unknown } | null) => [turn?.from, turn?.value])]);
  return `${hashString(text).toString(16)}-${hashStringSeeded(text, 0x5eed).toString(16)}`;
}

const assistantCount = (record: NemoRecord) => record.conversations.reduce((count, turn) => count + (turn.from === 'Assistant' ? 1 : 0), 0);

/** Returns the scoring input of the assistant turn at `index`: the system prompt and the turns before it. */
function scoringInput(record: NemoRecord, index: number): ScoringInput {
  return {
    system: record.system,
    context: record.conversations
      .slice(0, index)
      .map((turn) => ({ role: turn.from === 'User' ? ('user' as const) : ('assistant' as const), text: turn.value })),
    response: record.conversations[index]!.value,
  };
}

/**
 * Returns a summary after labelling every assistant turn of a NeMo SteerLM JSONL file with the scorer's
 * rounded prediction, into a new NeMo file (VALUE_TO_TEXT). Every key of a record and of a turn that
 * is not a label (`tree_id`, `source`, …) is kept. The data are read once to check and count them,
 * then streamed: records are written to `<output>.partial` as their batch is scored, and the file is
 * renamed over `output` at the end, so `output` is never half-written. After a kill, the same command
 * resumes from the partial file (whose records must match the data's first records). The output is
 * opened before any scoring, so an unwritable path fails at once.
 */
export async function annotateNemoFile(options: AnnotateNemoFileOptions): Promise<NemoAnnotationSummary> {
  const { scorer, data, output } = options;
  const batchSize = options.batchSize ?? 64;
  if (!Number.isSafeInteger(batchSize) || batchSize < 1)
    throw new InvalidOptionError(`batchSize must be a positive integer, got ${batchSize}`, { option: 'batchSize' });
  const batchesInFlight = options.batchesInFlight ?? 1;
  if (!Number.isSafeInteger(batchesInFlight) || batchesInFlight < 1)
    throw new InvalidOptionError(`batchesInFlight must be a positive integer, got ${batchesInFlight}`, { option: 'batchesInFlight' });
  await checkAnnotationPaths(data, output);
  const started = performance.now();
  const schema = scorer.schema;
  try {
    await mkdir(dirname(resolve(output)), { recursive: true });
  } catch (cause) {
    throw new InvalidOptionError(`cannot create the folder of the output ${output}: ${(cause as Error).message}`, {
      option: 'output',
      cause,
      hint: 'choose a writable location',
    });
  }
  const done: string[] = [];
  const writer: ResumableJsonlWriter<NemoRecord> = await openResumableJsonlWriter<NemoRecord>(output, {
    staged: true,
    continueFinished: false,
    onExisting: (record, line) => done.push(fingerprintOf(record, { file: partialPathOf(output), line })),
  });
  try {
    // First pass: check every record (a bad line fails here, before any scoring) and count the work.
    const responsesPerRecord: number[] = [];
    for await (const { value } of readNemoRecords(data, { schema, checkLabels: false })) responsesPerRecord.push(assistantCount(value));
    if (writer.resumed > responsesPerRecord.length) {
      throw new DataFormatError(`the partial output holds ${writer.resumed} records but the data have only ${responsesPerRecord.length}`, {
        file: writer.writingPath,
        hint: 'it was written from other data: delete it to start the annotation over',
      });
    }
    const responses = responsesPerRecord.reduce((sum, count) => sum + count, 0);
    const remaining = responsesPerRecord.slice(writer.resumed).reduce((sum, count) => sum + count, 0);
    const tracker = new ProgressTracker('annotate', { total: remaining, unit: 'responses', listeners: [options.onProgress] });
    if (writer.resumed > 0)
      tracker.emit({ type: 'warning', job: 'annotate', message: `resuming after ${writer.resumed} records found in ${writer.writingPath}` });
    if (writer.repair.kind === 'truncated')
      tracker.emit({ type: 'warning', job: 'annotate', message: `dropped a torn last line (${writer.repair.bytes} bytes) left by an interrupted run` });

    let scored = 0;
    let step = 0;
    let pending: NemoRecord[] = [];
    let pendingResponses = 0;
    // Scoring calls under way, oldest first, and the groups of records they label, in input order: a group is
    // written once all its calls are launched (sealed) and done, after the groups before it.
    type Group = { records: NemoRecord[]; labels: (string | null)[][]; outstanding: number; sealed: boolean };
    const calls: { scores: Promise<unknown>; size: number; group: Group }[] = [];
    const groups: Group[] = [];
    const writeReady = async () => {
      while (groups.length > 0 && groups[0]!.sealed && groups[0]!.outstanding === 0) {
        const { records, labels } = groups.shift()!;
        for (const [recordIndex, record] of records.entries()) {
          const conversations = record.conversations.map((turn, index): NemoTurn => ({ ...turn, label: labels[recordIndex]![index]! }));
          await writer.write({ ...record, type: 'VALUE_TO_TEXT', conversations });
        }
      }
    };
    const finishOldest = async () => {
      const call = calls.shift()!;
      await call.scores;
      scored += call.size;
      step += 1;
      tracker.step(step, call.size);
      call.group.outstanding -= 1;
      await writeReady();
    };
    const flush = async () => {
      const records = pending;
      pending = [];
      pendingResponses = 0;
      if (records.length === 0) return;
      const positions = records.flatMap((record, recordIndex) =>
        record.conversations.flatMap((turn, index) => (turn.from === 'Assistant' ? [{ recordIndex, index }] : [])),
      );
      const group: Group = { records, labels: records.map((record) => record.conversations.map((): string | null => null)), outstanding: 0, sealed: false };
      groups.push(group);
      for (let start = 0; start < positions.length; start += batchSize) {
        options.signal?.throwIfAborted();
        const batch = positions.slice(start, start + batchSize);
        const scores = Promise.resolve()
          .then(() => scorer.score(batch.map(({ recordIndex, index }) => scoringInput(records[recordIndex]!, index))))
          .then((scores) =>
            batch.forEach(({ recordIndex, index }, position) => {
              group.labels[recordIndex]![index] = formatAttributes(scores[position]!.rounded, schema);
            }),
          );
        // Awaited in order by finishOldest; this only keeps a failure from being unhandled while it waits.
        scores.catch(() => undefined);
        calls.push({ scores, size: batch.length, group });
        group.outstanding += 1;
        while (calls.length >= batchesInFlight) await finishOldest();
      }
      group.sealed = true;
      await writeReady();
    };

    let index = 0;
    for await (const { value: record, line } of readNemoRecords(data, { schema, checkLabels: false })) {
      if (index < writer.resumed) {
        if (fingerprintOf(record, { file: data, line }) !== done[index]) {
          throw new DataFormatError(`record ${index + 1} of the partial output was written from other data (line ${line} of the data differs)`, {
            file: writer.writingPath,
            line: index + 1,
            hint: 'delete the partial file to start the annotation over, or pass the data it was started with',
          });
        }
      } else {
        pending.push(record);
        pendingResponses += responsesPerRecord[index]!;
        if (pendingResponses >= batchSize) await flush();
      }
      index += 1;
    }
    await flush();
    while (calls.length > 0) await finishOldest();
    await writeReady();
    await writer.commit();
    const summary: NemoAnnotationSummary = {
      records: responsesPerRecord.length,
      responses,
      resumed: writer.resumed,
      scored,
      output,
      elapsedMs: performance.now() - started,
    };
    tracker.end({ ...summary });
    return summary;
  } catch (error) {
    // What was written stays in the partial file: the next run resumes from it.
    await writer.close().catch(() => undefined);
    throw error;
  }
}
