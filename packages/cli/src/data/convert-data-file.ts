import { mkdir, unlink } from 'node:fs/promises';
import { dirname } from 'node:path';
import {
  conversationToNemoRecord,
  conversationToRegressionRecords,
  DataFormatError,
  groupHash,
  InvalidOptionError,
  ProgressTracker,
  toJsonlLine,
  type Conversation,
  type ProgressListener,
} from '@steerlm/core';
import { openResumableJsonlWriter, partialPathOf } from '@steerlm/core/node';
import type { DataFormat } from './detect-data-format';
import { readDataConversations, type ReadDataOptions } from './read-data-conversations';
import { labelledResponseKeys } from './response-keys';

/** What `steerlm data convert` writes: NeMo SteerLM JSONL (SFT, annotation, apm train) or regression reward-model JSONL. */
export const CONVERT_TARGETS = Object.freeze(['nemo', 'regression'] as const);
export type ConvertTarget = (typeof CONVERT_TARGETS)[number];

export interface ConvertDataOptions extends ReadDataOptions {
  readonly input: string;
  readonly output: string;
  readonly to: ConvertTarget;
  /** Keep only these attributes in the labels (e.g. `['helpfulness']`, NeMo's `--only_helpfulness`); default: all. */
  readonly attributes?: readonly string[];
  /** Regression: write each record once (oasst threads share their earlier turns; NeMo writes a response once per thread). */
  readonly unique?: boolean;
  readonly onProgress?: ProgressListener;
  readonly signal?: AbortSignal;
  /** Called when a bad record or a signal stops the run, with how many records the partial output keeps. */
  readonly onStopped?: (kept: number) => void;
}

/** What a conversion did. */
export interface ConvertSummary {
  readonly input: string;
  readonly output: string;
  readonly format: DataFormat;
  readonly to: ConvertTarget;
  /** Records in the output, counting those a previous run had written. */
  readonly records: number;
  /** Records a previous, stopped run had written, checked and kept. */
  readonly resumed: number;
  /** Input lines (JSONL) or rows (parquet) read. */
  readonly read: number;
  readonly conversations: number;
  /** Distinct labelled assistant responses (a response shared by several oasst threads counts once). */
  readonly labelledResponses: number;
  readonly skipped: number;
  readonly excluded: number;
  readonly orphaned: number;
  readonly trees: number;
  /** The first skipped records' errors (file:line, field, what is wrong). */
  readonly firstErrors: readonly string[];
}

/** Returns the conversation with only the `keep` attributes on its labelled turns (a label left with none becomes empty). */
function keepAttributes(conversation: Conversation, keep: ReadonlySet<string>): Conversation {
  return {
    ...conversation,
    turns: conversation.turns.map((turn) =>
      turn.attributes === undefined ? turn : { ...turn, attributes: Object.fromEntries(Object.entries(turn.attributes).filter(([name]) => keep.has(name))) },
    ),
  };
}

/** Says where the records of a stopped conversion are kept and how to resume. */
export function keptOutputNote(output: string, kept: number): string {
  return `${kept} records written before the error are kept in ${partialPathOf(output)}; fix the input and run the same command again: it checks them and goes on after them`;
}

/**
 * Converts a dataset into NeMo SteerLM JSONL or regression JSONL, streaming: records go into
 * `<output>.partial` as they are made and it is renamed to `output` at the end. A run stopped by a bad
 * record or a signal leaves the partial file; running again checks its records against the ones it
 * makes (other input or options are an error) and appends the rest.
 */
export async function convertDataFile(options: ConvertDataOptions): Promise<ConvertSummary> {
  const keep = options.attributes ? new Set(options.attributes) : undefined;
  for (const name of keep ?? []) {
    if (!options.schema.names.includes(name)) {
      throw new InvalidOptionError(`--attributes names "${name}", which the schema does not have`, {
        option: 'attributes',
        hint: `use names of ${options.schema.names.join(', ')}`,
      });
    }
  }
  const { items, report } = readDataConversations(options.input, options);
  const existing: number[] = [];
  await mkdir(dirname(options.output), { recursive: true });
  const writer = await openResumableJsonlWriter<unknown>(options.output, {
    staged: true,
    continueFinished: false,
    onExisting: (record) => existing.push(groupHash(toJsonlLine(record))),
  });
  const tracker = new ProgressTracker('convert', { unit: 'conversations', listeners: [options.onProgress] });
  const seenText = options.unique ? new Set<number>() : undefined;
  const responses = new Set<number>();
  let made = 0;
  let conversations = 0;
  const emit = async (record: unknown) => {
    if (made < existing.length) {
      if (groupHash(toJsonlLine(record)) !== existing[made]) {
        throw new DataFormatError('the partial output of a previous run differs from what this run makes: it was written from other input or options', {
          file: partialPathOf(options.output),
          line: made + 1,
          hint: `delete ${partialPathOf(options.output)} to start over`,
        });
      }
    } else {
      await writer.write(record);
    }
    made += 1;
  };
  try {
    for await (const item of items) {
      options.signal?.throwIfAborted();
      const { group, treeId, turnIds } = item;
      const conversation = keep ? keepAttributes(item.conversation, keep) : item.conversation;
      conversations += 1;
      for (const key of labelledResponseKeys(conversation, group, turnIds)) responses.add(key);
      if (options.to === 'nemo') {
        const record = conversationToNemoRecord(conversation, { schema: options.schema });
        await emit(treeId !== undefined ? { ...record, tree_id: treeId } : record);
      } else {
        for (const record of conversationToRegressionRecords(conversation, { schema: options.schema })) {
          if (seenText) {
            const key = groupHash(toJsonlLine(record));
            if (seenText.has(key)) continue;
            seenText.add(key);
          }
          await emit(record);
        }
      }
      if (conversations % 1000 === 0) tracker.step(conversations, 1000);
    }
    if (made < existing.length) {
      throw new DataFormatError(`the partial output of a previous run holds ${existing.length} records, more than the ${made} this run makes`, {
        file: partialPathOf(options.output),
        hint: `it was written from other input or options: delete ${partialPathOf(options.output)} to start over`,
      });
    }
  } catch (error) {
    await writer.close();
    const kept = writer.resumed + writer.written;
    // A partial file with nothing in it helps no later run.
    if (kept === 0) await unlink(writer.writingPath).catch(() => undefined);
    options.onStopped?.(kept);
    throw error;
  }
  await writer.commit();
  tracker.step(conversations, conversations % 1000);
  tracker.end({ records: made });
  return {
    input: options.input,
    output: options.output,
    format: options.format,
    to: options.to,
    records: made,
    resumed: writer.resumed,
    read: report.records,
    conversations,
    labelledResponses: responses.size,
    skipped: report.skipped,
    excluded: report.excluded,
    orphaned: report.orphaned,
    trees: report.trees,
    firstErrors: report.firstErrors.map((error) => error.message),
  };
}
