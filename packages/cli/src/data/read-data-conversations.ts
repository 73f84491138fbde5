import {
  asRecordError,
  DataFormatError,
  helpSteerRowToConversation,
  nemoRecordToConversation,
  readHelpSteerConversations,
  readNemoRecords,
  readOasstThreads,
  REPORTED_ERRORS,
  toJsonlLine,
  validateHelpSteerRow,
  type AttributeSchema,
  type Conversation,
  type OasstGrouping,
  type ReadOasstOptions,
} from '@steerlm/core';
import { readParquetRows } from '@steerlm/core/node';
import { dataContainerOf, HELPSTEER_COLUMNS, type DataFormat } from './detect-data-format';

/** One conversation read from a dataset, with the group that keeps related conversations together. */
export interface DataConversation {
  readonly conversation: Conversation;
  /**
   * What keeps related conversations on one side of a split: `tree:<id>` for an oasst1 tree (or a
   * NeMo record's `tree_id`), else `prompt:<first user turn>` (HelpSteer's responses to one prompt).
   */
  readonly group: string;
  /** The oasst1 conversation tree, when known. */
  readonly treeId?: string;
  /** The message id of each turn (oasst1), when known. */
  readonly turnIds?: readonly string[];
}

/** How a dataset is read: the oasst1 options follow core's readOasstThreads. */
export interface ReadDataOptions {
  readonly format: Exclude<DataFormat, 'regression'>;
  readonly schema: AttributeSchema;
  /** Stop at the first bad record (default), or skip it and count it. */
  readonly onError?: 'throw' | 'skip';
  /** The system prompt of every conversation (default: NeMo-Aligner's). */
  readonly system?: string;
  readonly oasst?: Pick<ReadOasstOptions, 'languages' | 'includeDeleted' | 'requireReviewPassed' | 'labelNames' | 'emptyLabels' | 'onMissingParent'> & {
    readonly grouping?: OasstGrouping;
  };
}

/** What reading a dataset saw; final once iteration ends. */
export interface DataReadReport {
  /** Lines (JSONL) or rows (parquet) read. */
  records: number;
  /** Bad records skipped (only with onError: 'skip'). */
  skipped: number;
  /** oasst1: messages left out by the options (language, deleted, review) or below one. */
  excluded: number;
  /** oasst1: messages whose parent is not in the file, with their replies. */
  orphaned: number;
  /** oasst1: conversation trees read. */
  trees: number;
  /** The first errors of skipped records, each located by file, line (or parquet row) and field. */
  firstErrors: DataFormatError[];
}

/**
 * Yields the message rows of an oasst1 parquet file (the Hub's `OpenAssistant/oasst1` splits) as JSONL
 * text, one row per line, so core's oasst1 reader reads them and its errors name the row as the line.
 */
async function* oasstParquetLines(path: string): AsyncGenerator<string> {
  for await (const { value } of readParquetRows(path)) yield `${toJsonlLine(value)}\n`;
}

/** Resolves `auto` for an oasst1 parquet file: a first pass over its tree id column says whether rows are grouped by tree. */
async function oasstParquetGrouping(path: string, grouping: OasstGrouping): Promise<'contiguous' | 'buffered'> {
  if (grouping !== 'auto') return grouping;
  const finished = new Set<unknown>();
  let current: unknown;
  for await (const { value } of readParquetRows(path, { columns: ['message_tree_id'] })) {
    const treeId = value['message_tree_id'];
    if (treeId === current) continue;
    if (current !== undefined) finished.add(current);
    if (finished.has(treeId)) return 'buffered';
    current = treeId;
  }
  return 'contiguous';
}

/** Returns the group of a conversation without a tree: its first user turn (or the record's line). */
export function promptGroup(conversation: Conversation, line: number): string {
  const firstUser = conversation.turns.find((turn) => turn.role === 'user')?.text;
  return firstUser !== undefined ? `prompt:${firstUser}` : `line:${line}`;
}

/**
 * Returns a streaming reader of the conversations of an oasst1 message file or a HelpSteer / HelpSteer2
 * file (JSONL, .jsonl.gz or parquet) or a NeMo SteerLM JSONL file, with a report that is final once
 * the iteration ends. Memory stays bounded: one oasst1 tree or one parquet row group at a time.
 */
export function readDataConversations(path: string, options: ReadDataOptions): { items: AsyncIterable<DataConversation>; report: DataReadReport } {
  const report: DataReadReport = { records: 0, skipped: 0, excluded: 0, orphaned: 0, trees: 0, firstErrors: [] };
  const onError = options.onError ?? 'throw';
  const system = options.system !== undefined ? { system: options.system } : {};
  const skip = (error: DataFormatError) => {
    if (onError !== 'skip') throw error;
    report.skipped += 1;
    if (report.firstErrors.length < REPORTED_ERRORS) report.firstErrors.push(error);
  };

  async function* oasst(): AsyncGenerator<DataConversation> {
    const reader =
      dataContainerOf(path) === 'parquet'
        ? readOasstThreads(oasstParquetLines(path), {
            ...options.oasst,
            ...system,
            schema: options.schema,
            onError,
            file: path,
            grouping: await oasstParquetGrouping(path, options.oasst?.grouping ?? 'auto'),
          })
        : readOasstThreads(path, { ...options.oasst, ...system, schema: options.schema, onError });
    const sync = () => Object.assign(report, { records: reader.report.lines, skipped: reader.report.skipped, excluded: reader.report.excluded });
    try {
      for await (const thread of reader) {
        sync();
        Object.assign(report, { orphaned: reader.report.orphaned, trees: reader.report.trees });
        yield { conversation: thread.conversation, group: `tree:${thread.treeId}`, treeId: thread.treeId, turnIds: thread.messageIds };
      }
    } finally {
      sync();
      Object.assign(report, { orphaned: reader.report.orphaned, trees: reader.report.trees, firstErrors: reader.report.firstErrors });
    }
  }

  async function* helpSteerJsonl(): AsyncGenerator<DataConversation> {
    const reader = readHelpSteerConversations(path, { ...system, onError });
    try {
      for await (const { line, value } of reader) {
        report.records = reader.report.lines;
        yield { conversation: value, group: promptGroup(value, line) };
      }
    } finally {
      Object.assign(report, { records: reader.report.lines, skipped: reader.report.skipped, firstErrors: reader.report.firstErrors });
    }
  }

  async function* helpSteerParquet(): AsyncGenerator<DataConversation> {
    for await (const { line, value } of readParquetRows(path, { columns: HELPSTEER_COLUMNS })) {
      report.records = line;
      const location = { file: path, line };
      let conversation: Conversation;
      try {
        conversation = helpSteerRowToConversation(validateHelpSteerRow(value, location), { ...system, location });
      } catch (error) {
        skip(asRecordError(error, location, undefined));
        continue;
      }
      yield { conversation, group: promptGroup(conversation, line) };
    }
  }

  async function* nemo(): AsyncGenerator<DataConversation> {
    const reader = readNemoRecords(path, { schema: options.schema, onError });
    try {
      for await (const { line, value } of reader) {
        report.records = reader.report.lines;
        let conversation: Conversation;
        try {
          conversation = nemoRecordToConversation(value, { schema: options.schema });
        } catch (error) {
          skip(asRecordError(error, { file: path, line }, undefined));
          continue;
        }
        const treeId = typeof value['tree_id'] === 'string' ? value['tree_id'] : undefined;
        yield treeId !== undefined ? { conversation, group: `tree:${treeId}`, treeId } : { conversation, group: promptGroup(conversation, line) };
      }
    } finally {
      const errors = [...reader.report.firstErrors, ...report.firstErrors].slice(0, REPORTED_ERRORS);
      Object.assign(report, { records: reader.report.lines, skipped: reader.report.skipped + report.skipped, firstErrors: errors });
    }
  }

  const items =
    options.format === 'oasst1' ? oasst() : options.format === 'nemo' ? nemo() : dataContainerOf(path) === 'parquet' ? helpSteerParquet() : helpSteerJsonl();
  return { items, report };
}
