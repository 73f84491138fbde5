import { readRegressionRecords, ProgressTracker, steerlmTemplate, type ProgressListener } from '@steerlm/core';
import type { DataFormat } from './detect-data-format';
import { lengthQuantiles, type LengthQuantiles } from './length-quantiles';
import { readDataConversations, type ReadDataOptions } from './read-data-conversations';
import { assistantTurnKeys } from './response-keys';

export interface DatasetStatsOptions extends Omit<ReadDataOptions, 'format'> {
  readonly input: string;
  readonly format: DataFormat;
  /** Counts the tokens of a text; lengths are in characters without it. */
  readonly countTokens?: (text: string) => number;
  readonly onProgress?: ProgressListener;
  readonly signal?: AbortSignal;
}

/** What a dataset holds: counts, the labels' spread per attribute and the lengths of conversations and responses. */
export interface DatasetStats {
  readonly input: string;
  readonly format: DataFormat;
  /** What lengths count. */
  readonly unit: 'characters' | 'tokens';
  /** Lines (JSONL) or rows (parquet) read. */
  readonly records: number;
  /** Conversations (regression: records). */
  readonly conversations: number;
  readonly turns: { readonly user: number; readonly assistant: number };
  /** Distinct assistant responses (one shared by several oasst threads counts once). */
  readonly responses: number;
  /** Distinct responses with a label (an empty label too). */
  readonly labelledResponses: number;
  /** Distinct responses whose label names no attribute (NeMo's "" label). */
  readonly emptyLabels: number;
  /** Per attribute: how many labelled responses have each value, e.g. { quality: { "3": 120, "4": 80 } }. */
  readonly labels: Readonly<Record<string, Readonly<Record<string, number>>>>;
  readonly lengths: {
    /** The conversation as SteerLM training renders it (regression: the record's text). */
    readonly conversation: LengthQuantiles;
    /** Each distinct assistant response. */
    readonly response: LengthQuantiles;
  };
  /** oasst1 only: trees read, messages left out by the options, and orphans. */
  readonly trees: number;
  readonly excluded: number;
  readonly orphaned: number;
  readonly skipped: number;
  readonly firstErrors: readonly string[];
}

/** The raw lengths behind the quantiles, for the report's histograms. */
export interface DatasetLengths {
  readonly conversation: number[];
  readonly response: number[];
}

/**
 * Returns the statistics of a dataset (oasst1, HelpSteer, HelpSteer2, NeMo or regression JSONL,
 * HelpSteer parquet), streaming it once. Memory holds one number per distinct response and per
 * conversation (for exact quantiles), never the texts.
 */
export async function datasetStats(options: DatasetStatsOptions): Promise<{ stats: DatasetStats; lengths: DatasetLengths }> {
  const { schema } = options;
  const measure = options.countTokens ?? ((text: string) => text.length);
  const labels: Record<string, Record<string, number>> = Object.fromEntries(schema.names.map((name) => [name, {}]));
  const count = (name: string, value: number) => {
    const histogram = (labels[name] ??= {});
    histogram[String(value)] = (histogram[String(value)] ?? 0) + 1;
  };
  const lengths: DatasetLengths = { conversation: [], response: [] };
  const seen = new Set<number>();
  let conversations = 0;
  let userTurns = 0;
  let assistantTurns = 0;
  let labelled = 0;
  let empty = 0;
  const tracker = new ProgressTracker('stats', { unit: 'conversations', listeners: [options.onProgress] });
  const step = () => {
    conversations += 1;
    if (conversations % 1000 === 0) tracker.step(conversations, 1000);
  };
  let extra = { records: 0, trees: 0, excluded: 0, orphaned: 0, skipped: 0, firstErrors: [] as string[] };

  if (options.format === 'regression') {
    const reader = readRegressionRecords(options.input, { schema, onError: options.onError ?? 'throw' });
    for await (const { value } of reader) {
      options.signal?.throwIfAborted();
      step();
      assistantTurns += 1;
      labelled += 1;
      lengths.conversation.push(measure(value.text));
      let any = false;
      value.label.forEach((slot, index) => {
        if (slot === -100) return;
        any = true;
        count(schema.names[index]!, slot);
      });
      if (!any) empty += 1;
    }
    extra = { ...extra, records: reader.report.lines, skipped: reader.report.skipped, firstErrors: reader.report.firstErrors.map((error) => error.message) };
  } else {
    const { items, report } = readDataConversations(options.input, { ...options, format: options.format });
    for await (const { conversation, group, turnIds } of items) {
      options.signal?.throwIfAborted();
      step();
      for (const turn of conversation.turns) {
        if (turn.role === 'user') userTurns += 1;
        else if (turn.role === 'assistant') assistantTurns += 1;
      }
      lengths.conversation.push(measure(steerlmTemplate.render(conversation, { schema })));
      for (const { index, key } of assistantTurnKeys(conversation, group, turnIds)) {
        if (seen.has(key)) continue;
        seen.add(key);
        const turn = conversation.turns[index]!;
        lengths.response.push(measure(turn.text));
        if (turn.attributes === undefined) continue;
        labelled += 1;
        const entries = Object.entries(turn.attributes);
        if (entries.length === 0) empty += 1;
        for (const [name, value] of entries) count(name, value);
      }
    }
    extra = {
      records: report.records,
      trees: report.trees,
      excluded: report.excluded,
      orphaned: report.orphaned,
      skipped: report.skipped,
      firstErrors: report.firstErrors.map((error) => error.message),
    };
  }
  tracker.step(conversations, conversations % 1000);
  tracker.end();
  const sortedLabels = Object.fromEntries(
    Object.entries(labels).map(([name, histogram]) => [name, Object.fromEntries(Object.entries(histogram).sort(([a], [b]) => Number(a) - Number(b)))]),
  );
  const stats: DatasetStats = {
    input: options.input,
    format: options.format,
    unit: options.countTokens ? 'tokens' : 'characters',
    records: extra.records,
    conversations,
    turns: { user: userTurns, assistant: assistantTurns },
    responses: options.format === 'regression' ? conversations : seen.size,
    labelledResponses: labelled,
    emptyLabels: empty,
    labels: sortedLabels,
    lengths: { conversation: lengthQuantiles(lengths.conversation), response: lengthQuantiles(lengths.response) },
    trees: extra.trees,
    excluded: extra.excluded,
    orphaned: extra.orphaned,
    skipped: extra.skipped,
    firstErrors: extra.firstErrors,
  };
  return { stats, lengths };
}
